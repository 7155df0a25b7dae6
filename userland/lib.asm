; lib.asm -- the smallest possible C library for SimpleOS programs.
;
; Programs pull it in with `.include "lib.asm"` (put it after your code, before
; `.data`). The loader defines SYS_READ, SYS_WRITE, SYS_EXIT, ... for you, with
; the numbers of docs/syscalls.md. System-call convention (as Linux x86-64):
;   rax = number; rdi, rsi, rdx, r10, r8, r9 = arguments; result in rax;
;   a negative result is -errno. `syscall` clobbers rcx and r11.
;
; Frames: a routine that calls another keeps a frame pointer (`push rbp;
; mov rbp, rsp` ... `pop rbp`), so [rbp] is its caller's rbp and [rbp+8] its
; return address, and a debugger can walk the chain. A program's `_start`
; needs none: it never returns, and the kernel starts every process with
; rbp = 0, the zero that ends the chain (System V marks the deepest frame so).

; strlen -- length of a NUL-terminated string.
;   in: rdi = string      out: rax = length      clobbers: nothing else
strlen:
    xor rax, rax                    ; rax counts bytes
.Lstrlen_loop:
    cmp byte ptr [rdi + rax], 0     ; reached the terminating NUL?
    je .Lstrlen_done
    inc rax
    jmp .Lstrlen_loop
.Lstrlen_done:
    ret

; print -- write a NUL-terminated string to the console (fd 1).
;   in: rdi = string      clobbers: rax, rcx, rdx, rsi, rdi, r11
print:
    push rbp                        ; a frame: print calls strlen
    mov rbp, rsp
    call strlen
    mov rdx, rax                    ; rdx = how many bytes
    mov rsi, rdi                    ; rsi = where they are
    mov rdi, 1                      ; rdi = fd 1, the console
    mov rax, SYS_WRITE
    syscall
    pop rbp                         ; the caller's rbp again
    ret

; exit -- end this process.
;   in: rdi = exit code   (does not return)
exit:
    mov rax, SYS_EXIT
    syscall
