"""How Linli is served: daphne, Twisted and channels-redis tuned for many sockets (handshake turns,
timeout slices, transport access, pipelined publishes, garbage-collection pauses)."""
