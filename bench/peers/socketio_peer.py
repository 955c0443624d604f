"""The python-socketio peer: an ASGI Socket.IO server with rooms, under uvicorn.

A client joins the room named in its connect auth payload (``{"room": "R"}``); every ``chat``
event it sends is emitted to the whole room, sender included (``emit(..., room=)``), as a
Socket.IO chat usually does. Nothing is stored.

Run: ``uvicorn socketio_peer:app --host 127.0.0.1 --port PORT`` from this directory.
"""

import socketio

sio = socketio.AsyncServer(
    async_mode="asgi", cors_allowed_origins="*", logger=False, engineio_logger=False
)
app = socketio.ASGIApp(sio)

rooms: dict[str, str] = {}


@sio.event
async def connect(sid, environ, auth):
    room = str((auth or {}).get("room", "lobby"))
    rooms[sid] = room
    await sio.enter_room(sid, room)


@sio.event
async def disconnect(sid, reason=None):
    rooms.pop(sid, None)


@sio.on("chat")
async def chat(sid, data):
    await sio.emit("chat", data, room=rooms.get(sid, "lobby"))
