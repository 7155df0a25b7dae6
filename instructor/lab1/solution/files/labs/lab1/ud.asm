; ud.asm -- the instruction that is defined to be undefined (reference solution, Lab 1)
_start:
    ud2                             ; -> #UD
    xor rdi, rdi
    call exit
.include "lib.asm"
