; xdata.asm -- execute your own data (reference solution, Lab 1)
_start:
    lea rax, [rip + buffer]         ; the data page: user, read+write, NX
    jmp rax                         ; fetching an instruction there -> #PF, error code 0x15
.include "lib.asm"

.data
buffer: .byte 0xc3                  ; a `ret`, never executed
