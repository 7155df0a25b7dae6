; div0.asm -- divide by zero (reference solution, Lab 1)
_start:
    xor ecx, ecx                    ; the divisor is 0
    div ecx                         ; -> #DE
    xor rdi, rdi
    call exit
.include "lib.asm"
