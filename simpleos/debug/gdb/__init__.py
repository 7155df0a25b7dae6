"""The gdb remote stub: real gdb (and GEF, pwndbg) attach over TCP and drive a DebugTarget.

  server.py              serve(): listen on loopback, accept gdb, print the attach recipe
  session.py             one connection: reader thread, acks, Ctrl-C, running the target
  packets.py             the protocol: what each packet asks and the reply
  rsp.py                 framing: $data#checksum, acks, escapes, Ctrl-C
  target_description.py  the register table (g packet layout, target.xml)
  elf.py                 the ELF symbol file gdb loads with symbol-file
"""
from .packets import MAX_MEMORY_READ
from .server import SYMBOL_FILE_NAME, recipe, serve, write_symbols
from .session import GdbSession

__all__ = ["MAX_MEMORY_READ", "SYMBOL_FILE_NAME", "GdbSession", "recipe", "serve", "write_symbols"]
