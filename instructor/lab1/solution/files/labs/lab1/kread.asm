; kread.asm -- read the kernel's direct map from ring 3 (reference solution, Lab 1)
_start:
    mov rax, 0xffff800000001000     ; a kernel address: present, but supervisor-only
    mov rbx, [rax]                  ; a user read of it -> #PF, error code 0x5
    xor rdi, rdi
    call exit
.include "lib.asm"
