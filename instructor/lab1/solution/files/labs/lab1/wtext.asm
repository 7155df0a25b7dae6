; wtext.asm -- write to your own code (reference solution, Lab 1)
_start:
    lea rax, [rip + _start]         ; the text page: user, read+execute, not writable
    mov byte ptr [rax], 0x90        ; a user write to it -> #PF, error code 0x7
    xor rdi, rdi
    call exit
.include "lib.asm"
