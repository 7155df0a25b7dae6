; kapi_cap.asm -- the kernel functions a driver imports, for a driver that holds capabilities.
;
; Under the nanokernel (placement CapabilityProcess) the sensor's import table points here
; instead of at kapi.asm. Each stub is the same call the sensor always made -- same name,
; same arguments in rdi, rsi, rdx -- but it reaches the kernel the one way a capability
; holder can: cap_invoke, naming a slot of its capability table (r10) and a method (r8).
; The kernel checks the slot's capability before it does anything
; (simpleos/kernel/capabilities.py).

kapi_wait_event:                ; receive on the event endpoint
    mov r10d, CAP_EVENTS
    mov r8d, CAP_RECEIVE
    mov eax, SYS_CAP_INVOKE
    syscall
    ret

kapi_verdict:                   ; reply through the event endpoint
    mov r10d, CAP_EVENTS
    mov r8d, CAP_REPLY
    mov eax, SYS_CAP_INVOKE
    syscall
    ret

kapi_get_content:               ; have the kernel load a channel file into the content frames
    mov r10d, CAP_CONTENT
    mov r8d, CAP_LOAD
    mov eax, SYS_CAP_INVOKE
    syscall
    ret

kapi_log:                       ; send a line to the log endpoint
    mov r10d, CAP_LOG
    mov r8d, CAP_SEND
    mov eax, SYS_CAP_INVOKE
    syscall
    ret

kapi_sleep:                     ; wait on the timer (held only with --sensor-delay)
    mov r10d, CAP_TIMER
    mov r8d, CAP_WAIT
    mov eax, SYS_CAP_INVOKE
    syscall
    ret

; The process calls are ambient authority -- the sanctioned process list, the kernel's
; process-integrity reports, the ring-0 creation callback. No capability names them, so
; they stay plain system calls, and the kernel refuses every one of them (-EPERM).
.include "kapi_process.asm"
