; service.asm -- a system service: creates its named pipe and serves requests.
;
; Started by init with one argument, the pipe name (in rdi at entry), e.g.
; "\\.\pipe\spoolss". Creating the pipe is an IPC event: with a security
; sensor loaded, the kernel asks it first, and a "deny" verdict makes
; pipe_create fail with -EACCES (13).

_start:
    mov r12, rdi                    ; r12 = our pipe name, kept for later

    mov rdi, r12
    mov rax, SYS_PIPE_CREATE        ; pipe_create(name) -> fd or -errno
    syscall
    test rax, rax
    js .Lrefused                    ; negative: the kernel said no
    mov r13, rax                    ; r13 = fd of our end of the pipe

    lea rdi, [rip + listening]
    call print
    mov rdi, r12
    call print
    lea rdi, [rip + newline]
    call print

    ; Serve forever: read a request (blocks until a client writes one).
.Lserve:
    mov rdi, r13
    lea rsi, [rip + request]
    mov rdx, 64
    mov rax, SYS_READ
    syscall
    jmp .Lserve

.Lrefused:
    lea rdi, [rip + refused]
    call print
    mov rdi, r12
    call print
    lea rdi, [rip + newline]
    call print
    mov rdi, 1
    call exit

.include "lib.asm"

.data
listening:  .asciz "service: listening on "
refused:    .asciz "service: refused to create "
newline:    .asciz "\n"
request:    .space 64
