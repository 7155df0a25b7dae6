; kapi_process.asm -- the process calls some drivers import: plain system calls, at every placement.
;
; Included by kapi.asm (the usual stubs) and by kapi_cap.asm (a capability holder's): the
; sensor's cross-view reports and the sanctioned process list (kernel/sensor/kapi.py,
; kernel/proclist.py), and the ring-0 process-creation callback. No capability names them,
; so under the nanokernel the kernel refuses every one (-EPERM): that is ambient authority.

kapi_report_hidden:
    mov eax, SYS_SENSOR_REPORT_HIDDEN
    syscall
    ret

kapi_process_list:
    mov eax, SYS_PROCESS_LIST
    syscall
    ret

kapi_ps_wait_created:
    mov eax, SYS_PS_WAIT_CREATED
    syscall
    ret
