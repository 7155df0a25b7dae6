; switches.asm -- the event loop of sensor.sys when the kernel turns a switch on.
;
; sensor.asm includes this file in its event loop, right after the wait for
; an event. The switches are assembler defines (manifest.toml [switches]),
; all 0 unless a boot turns one on -- and with all of them 0 this file
; assembles to nothing, so the builds of sensor.asm stay byte for byte (and
; line for line) what they were on 19 July 2024:
;
;   CROSS_VIEW        1   --rootkit: before each event, cross-check the kernel's
;                         process list against what the scheduler runs
;                         (cross_view_scan, at the end of sensor.asm)
;   SENSOR_DELAY_US   N   --sensor-delay: wait N microseconds of virtual time
;                         before each verdict, as a client that looks something
;                         up (a cloud reputation service) before it answers
;   BOUND_INPUTS      1   exokernel: interpret each event's inputs where the
;                         kernel bound them -- the secure bindings
;                         inputs[0..IPC_INPUTS) at BOUND_IPC_INPUTS and
;                         inputs[0..PROCESS_INPUTS) at BOUND_PROCESS_INPUTS,
;                         each ending where its mapping ends -- not in a copy
;                         of the sensor's own
;   CONTENT_FRAMES    1   exokernel, nanokernel: the content area starts and
;                         ends on page boundaries, so that the kernel can map
;                         its own frames there, read-only (.data of sensor.asm)
;
; With CROSS_VIEW, SENSOR_DELAY_US or BOUND_INPUTS on, the event is served
; here, with the same steps as sensor.asm's loop (dispatch on the template
; type, build the inputs, interpret, answer) and the switches' additions in
; between; the loop's own dispatch after the .include is then never reached.
; In: rax = the event's template type, event_buffer = the event.

.if CROSS_VIEW + SENSOR_DELAY_US + BOUND_INPUTS
.if CROSS_VIEW
    push rax                        ; (the template type, across the call)
    call cross_view_scan            ; the process-integrity check, before each event
    pop rax
.endif
    cmp rax, TEMPLATE_IPC
    je .Lswitched_ipc_event
    cmp rax, TEMPLATE_PROCESS
    jne sensor_event_loop           ; a NOTIFY message: nothing to answer

.Lswitched_process_event:
.if BOUND_INPUTS
    mov rsi, BOUND_PROCESS_INPUTS   ; the binding inputs[0..PROCESS_INPUTS): the kernel laid it out
.else
    call build_process_inputs
    lea rsi, [rip + process_inputs]
.endif
    mov edi, TEMPLATE_PROCESS
    mov edx, PROCESS_INPUTS
    jmp .Lswitched_interpret

.Lswitched_ipc_event:
.if BOUND_INPUTS
    mov rsi, BOUND_IPC_INPUTS       ; the binding inputs[0..IPC_INPUTS): it ends where its
                                    ; mapping ends, so inputs[IPC_INPUTS] is a #PF
.else
    call build_ipc_inputs
    lea rsi, [rip + ipc_context]    ; rsi = inputs (the array starts the context)
.endif
    mov edi, TEMPLATE_IPC
    mov edx, IPC_INPUTS             ; rdx = how many inputs there are

.Lswitched_interpret:
    call interpret                  ; rax = verdict, rdx = id of the rule that decided
.if SENSOR_DELAY_US
    push rax
    push rdx
    mov edi, SENSOR_DELAY_US        ; a slow client: it looks something up before it answers
    call qword ptr [rip + import_sleep]
    pop rdx
    pop rax
.endif
    mov rdi, rax
    mov rsi, rdx
    mov rdx, [rip + event_buffer + 8]   ; the event handle, so the kernel knows which event
    call qword ptr [rip + import_verdict]
    jmp sensor_event_loop
.endif
