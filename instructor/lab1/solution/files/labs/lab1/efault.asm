; efault.asm -- hand the kernel the address kread reads (reference solution, Lab 1)
; write(1, kernel address, 8): the kernel checks the pointer with the caller's rights
; and refuses it (-EFAULT = -14) instead of reading kernel memory for us.
_start:
    mov rdi, 1                      ; fd 1, the console
    mov rsi, 0xffff800000001000     ; the kernel's direct map
    mov rdx, 8
    mov rax, SYS_WRITE
    syscall                         ; rax = -14
    neg rax                         ; exit code = errno
    mov rdi, rax
    call exit
.include "lib.asm"
