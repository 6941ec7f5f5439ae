"""The WebSocket protocol without I/O: messages, encodings, close codes, the handshake
rules and the session state machine that both transports drive (Sans-I/O). Imports the
core, never the edge."""
