; cli.asm -- a privileged instruction at ring 3 (reference solution, Lab 1)
_start:
    cli                             ; CPL 3 > IOPL 0 -> #GP
    xor rdi, rdi
    call exit
.include "lib.asm"
