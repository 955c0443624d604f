# connected in chat/apps.py
