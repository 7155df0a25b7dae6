; kapi.asm -- the kernel functions a driver may call (its import table points here).
;
; SimpleOS's kernel is Python, so every way into it passes through the CPU's
; `syscall` hook; the entry is the same instruction at either ring. What
; differs is where these stubs are mapped and what they cost:
;   ring 0 (monolithic): mapped in the kernel half; on a real kernel the slot
;     would point at the kernel function itself -- a plain call. The clock
;     charges it as a direct call.
;   ring 3 (microkernel): mapped into the driver's process like a vDSO page;
;     a real ring change, charged as a system call plus an IPC message.
; Arguments follow the System V convention, which is also the syscall one
; for the first three (rdi, rsi, rdx), so the stubs only load the number.

kapi_wait_event:
    mov eax, SYS_SENSOR_WAIT_EVENT
    syscall
    ret

kapi_verdict:
    mov eax, SYS_SENSOR_VERDICT
    syscall
    ret

kapi_get_content:
    mov eax, SYS_SENSOR_GET_CONTENT
    syscall
    ret

kapi_log:
    mov eax, SYS_SENSOR_LOG
    syscall
    ret

; Calls some drivers import (kernel/sensor/kapi.py, kernel/proclist.py).

kapi_sleep:
    mov eax, SYS_SENSOR_SLEEP
    syscall
    ret

.include "kapi_process.asm"   ; report_hidden, process_list, ps_wait_created
