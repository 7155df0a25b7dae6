; sensor.asm -- "sensor.sys", the security sensor driver of SimpleOS.
;
; This is the csagent.sys of our story. It waits for events from the kernel
; (a process is about to start; a named pipe is about to be created), turns
; each event into an array of *inputs*, and runs its *content interpreter*
; over the rules of the channel files the kernel handed it at start-up. The
; first rule that says "deny" blocks the operation.
;
; One source, several placements; the isolation model picks one: a ring-0
; kernel thread (monolithic, verified), a ring-3 process (microkernel, hybrid),
; a library-OS extension (exokernel), a holder of capabilities (nanokernel).
; The driver never names a system-call number: it calls the kernel only
; through its import table (the `import_*` slots in .data), which the loader
; fills with kernel entry stubs (ring 0) or syscall thunks (ring 3, kapi.asm).
; Same code, different blast radius. Switches: switches.asm, included below.
;
; Defines supplied by the loader (drivers/sensor/manifest.toml, kernel/drivers.py):
;   IPC_INPUTS       20   inputs the integration code supplies for an IPC event
;   PROCESS_INPUTS    8   ... for a PROCESS event
;   IPC_STRING_MASK       bit i set: IPC input i is a string (pointer), else an integer
;   PROCESS_STRING_MASK   the same for PROCESS inputs
;   BOUNDS_CHECK      0/1 the runtime check CrowdStrike added after 19 July 2024:
;                         is there an input i at all?
;   TYPE_CHECK        0/1 is input i a string, before a string test reads it as one?
;   CONTENT_CHECK     0/1 does every rule lie inside its file (counts and lengths
;                         can lie: the interpreter must not walk off its content)
; The `fixed` build has all three; the `original` build, as on 19 July, none.
;
; Register conventions. Calls into the kernel (the import_* slots) follow
; System V: arguments in rdi, rsi, rdx; the result in rax; rbx, rbp and
; r12-r15 preserved by the callee. The driver's own routines do too, with
; two exceptions each routine's header names, as hand-written assembly often
; has: match_instance reads interpret's r14 (the inputs) and r15 (how many)
; instead of taking them as arguments, and compare_string takes the kind of
; test in eax (System V would pass a fourth argument in rcx).
;
; Frames. Every routine that calls another and returns starts with `push
; rbp; mov rbp, rsp` and ends with `pop rbp` before `ret`: then [rbp] holds
; the caller's rbp and [rbp+8] the return address, and a debugger walks the
; chain from any stop (bt, `frame N`). rbp is never used for anything else.
; Leaf routines (build_inputs, compare_string) and the entry point keep no
; frame: the debuggers' unwind tables, worked out from the code, cover them.

TEMPLATE_PROCESS = 1
TEMPLATE_IPC = 2
VERDICT_ALLOW = 0
VERDICT_DENY = 1
VERDICT_NOTIFY = 2
ACTION_DENY = 1
KIND_WILDCARD = 0
KIND_STRING_EQUALS = 1
KIND_STRING_PREFIX = 2
KIND_INT_EQUALS = 3
CHANNEL_MAGIC = 0xAAAAAAAA
HEADER_SIZE = 40
EVENT_HEADER_SIZE = 24          ; type, handle, field count; then the fields
EVENT_BUFFER_SIZE = 4096
CONTENT_AREA_SIZE = 65536
MAX_CONTENT_FILES = 32

; ---------------------------------------------------------------------------
; sensor_main -- the driver's entry point: load content, then serve events.
; It never returns, and the kernel starts every thread with rbp = 0: that
; zero is the outermost frame pointer (System V marks the deepest frame so),
; so the chain of saved rbp values ends here and this routine needs no frame.
; ---------------------------------------------------------------------------
_start:
sensor_main:
    lea rdi, [rip + msg_started]
    call qword ptr [rip + import_log]
    call load_content

sensor_event_loop:
    ; Wait for the next event. The kernel writes it into event_buffer:
    ;   +0 template type (1 PROCESS, 2 IPC)   +8 the kernel's event handle
    ;   +16 number of fields                  +24 the fields, 8 bytes each:
    ;   a string field holds the string's offset in this buffer, an integer
    ;   field holds the integer.
    lea rdi, [rip + event_buffer]
    mov rsi, EVENT_BUFFER_SIZE
    call qword ptr [rip + import_wait_event]   ; rax = the event's template type
    .include "switches.asm"         ; a boot with a switch on serves the event there
    cmp rax, TEMPLATE_IPC
    je .Lipc_event
    cmp rax, TEMPLATE_PROCESS
    je .Lprocess_event
    ; Anything else is a NOTIFY message (type 3: a process ended): the kernel
    ; does not wait for an answer, and this sensor keeps no state about it.
    jmp sensor_event_loop

.Lipc_event:
    call build_ipc_inputs
    mov edi, TEMPLATE_IPC
    lea rsi, [rip + ipc_context]    ; rsi = inputs (the array starts the context)
    mov edx, IPC_INPUTS             ; rdx = how many inputs there are
    call interpret
    jmp .Lreport

.Lprocess_event:
    call build_process_inputs
    mov edi, TEMPLATE_PROCESS
    lea rsi, [rip + process_inputs]
    mov edx, PROCESS_INPUTS
    call interpret

.Lreport:
    ; rax = verdict, rdx = id of the rule that decided (0 if none)
    mov rdi, rax
    mov rsi, rdx
    mov rdx, [rip + event_buffer + 8]   ; the event handle, so the kernel knows which event
    call qword ptr [rip + import_verdict]
    jmp sensor_event_loop

; ---------------------------------------------------------------------------
; The integration code: from an event to the inputs array.
; ---------------------------------------------------------------------------

; build_inputs -- turn the event message's fields into an inputs array.
;   in: rdi = the inputs array, edx = how many inputs, r8 = which are strings
;       (bit i set: field i is the offset of a string in the message)
; A string field becomes a pointer to the string; an integer stays as it is.
build_inputs:
    lea rsi, [rip + event_buffer]   ; rsi = the event message
    xor ecx, ecx                    ; rcx = input index
.Lnext_input:
    cmp rcx, rdx
    jae .Linputs_done
    mov rax, [rsi + EVENT_HEADER_SIZE + rcx*8]   ; the field as the kernel sent it
    bt r8, rcx                      ; a string field?
    jnc .Lstore_input
    add rax, rsi                    ; yes: offset -> pointer to the string
.Lstore_input:
    mov [rdi + rcx*8], rax          ; inputs[rcx] = the input
    inc rcx
    jmp .Lnext_input
.Linputs_done:
    ret

; build_ipc_inputs -- fill ipc_context: IPC_INPUTS inputs, then the event handle.
;
; struct ipc_context {            <- what the interpreter gets a pointer to
;     u64 inputs[IPC_INPUTS];     20 inputs: pointers to strings, or integers
;     u64 event_handle;           the kernel's handle of this event
; };
; The array ends where the context's inputs end: the 8 bytes after
; inputs[19] are the event handle, an opaque kernel address. Nothing stops
; a reader of inputs[20] from getting it -- that is the bug of 19 July.
build_ipc_inputs:
    push rbp                        ; a frame: this routine calls
    mov rbp, rsp
    lea rdi, [rip + ipc_context]
    mov edx, IPC_INPUTS
    mov r8, IPC_STRING_MASK
    call build_inputs
    mov rax, [rip + event_buffer + 8]
    mov [rip + ipc_event_handle], rax   ; right after the last input (see .data)
    pop rbp
    ret

; build_process_inputs -- fill process_inputs[PROCESS_INPUTS] the same way.
build_process_inputs:
    lea rdi, [rip + process_inputs]
    mov edx, PROCESS_INPUTS
    mov r8, PROCESS_STRING_MASK
    jmp build_inputs                ; (a tail call: build_inputs returns for us)

; ---------------------------------------------------------------------------
; Content loading: ask the kernel for each channel file, keep the good ones.
; ---------------------------------------------------------------------------

; load_content -- copy every channel file into content_area; remember where
; each one starts (content_files[]) unless its header is unusable.
load_content:
    push rbp                        ; the frame
    mov rbp, rsp
    push r12                        ; callee-saved registers this routine uses
    push r13
    push r14
    xor r12d, r12d                  ; r12 = index of the file to ask for
    lea r13, [rip + content_area]   ; r13 = where the next file goes
.Lload_next:
    lea r14, [rip + content_area + CONTENT_AREA_SIZE]
    sub r14, r13                    ; r14 = room left
    mov rdi, r12
    mov rsi, r13
    mov rdx, r14
    call qword ptr [rip + import_get_content]   ; rax = bytes copied, 0 = no more
    test rax, rax
    jle .Lload_done
    ; The header must start with the magic and say format version 1.
    cmp rax, HEADER_SIZE
    jb .Lload_reject
    mov ecx, [r13]
    cmp ecx, CHANNEL_MAGIC
    jne .Lload_reject
    cmp word ptr [r13 + 4], 1
    jne .Lload_reject
    mov rcx, [rip + content_count]
    cmp rcx, MAX_CONTENT_FILES
    jae .Lload_done
    lea rdx, [rip + content_files]
    mov [rdx + rcx*8], r13          ; content_files[count] = this file
    inc rcx
    mov [rip + content_count], rcx
    add r13, rax                    ; next file goes after this one,
    add r13, 7                      ; 8-byte aligned
    and r13, -8
    jmp .Lload_skip
.Lload_reject:
    lea rdi, [rip + msg_rejected]
    call qword ptr [rip + import_log]
.Lload_skip:
    inc r12
    jmp .Lload_next
.Lload_done:
    pop r14
    pop r13
    pop r12
    pop rbp                         ; rsp is back at the frame's base: the caller's rbp
    ret

; ---------------------------------------------------------------------------
; The content interpreter.
; ---------------------------------------------------------------------------

; interpret -- run every rule of every loaded file of this template type.
;   in:  edi = template type, rsi = inputs, rdx = number of inputs supplied
;   out: rax = verdict (ALLOW, DENY or NOTIFY), rdx = deciding rule's id
; The first matching "deny" rule wins at once; otherwise a matching
; "notify" rule makes the verdict NOTIFY.
interpret:
    push rbp                        ; the frame
    mov rbp, rsp
    push rbx                        ; callee-saved registers this routine uses
    push r12
    push r13
    push r14
    push r15
    mov [rip + current_template], rdi   ; the template type (the type check reads it too)
    mov r14, rsi                    ; r14 = inputs   (used by match_instance)
    mov r15, rdx                    ; r15 = number of inputs supplied
    mov qword ptr [rip + verdict], VERDICT_ALLOW
    mov qword ptr [rip + verdict_rule], 0
    xor ebx, ebx                    ; rbx = index into content_files
.Lnext_file:
    cmp rbx, [rip + content_count]
    jae .Linterpret_done
    lea rax, [rip + content_files]
    mov r12, [rax + rbx*8]          ; r12 = this channel file
    inc rbx
    movzx eax, word ptr [r12 + 8]   ; the file's template type
    cmp eax, dword ptr [rip + current_template]
    jne .Lnext_file
    mov r13d, [r12 + 12]            ; r13 = instance count
.if CONTENT_CHECK
    ; Where this file ends: its header's body size, but never past the content
    ; area (a lying body size must not take the interpreter off its memory).
    mov eax, [r12 + 20]             ; body_size
    lea rax, [r12 + rax + HEADER_SIZE]
    lea rcx, [rip + content_area + CONTENT_AREA_SIZE]
    cmp rax, rcx
    cmova rax, rcx
    mov [rip + current_file_end], rax
.endif
    lea rdi, [r12 + HEADER_SIZE]    ; rdi = first instance
.Lnext_instance:
    test r13, r13
    jz .Lnext_file
    dec r13
    mov [rip + current_instance], rdi
    call match_instance             ; rax = 1 if it matched; rdx = next instance
.if CONTENT_CHECK
    test rdx, rdx                   ; 0: the rule ran past the end of the file,
    jz .Lnext_file                  ; so the rest of the file is not trusted
.endif
    mov rdi, rdx
    test rax, rax
    jz .Lnext_instance
    mov rcx, [rip + current_instance]
    mov eax, [rcx]                  ; the rule's id
    cmp byte ptr [rcx + 4], ACTION_DENY
    je .Ldeny
    cmp qword ptr [rip + verdict], VERDICT_NOTIFY
    je .Lnext_instance              ; keep the first notify rule
    mov qword ptr [rip + verdict], VERDICT_NOTIFY
    mov [rip + verdict_rule], rax
    jmp .Lnext_instance
.Ldeny:
    mov qword ptr [rip + verdict], VERDICT_DENY
    mov [rip + verdict_rule], rax
.Linterpret_done:
    mov rax, [rip + verdict]
    mov rdx, [rip + verdict_rule]
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; match_instance -- does one template instance (rule) match the inputs?
;   in:  rdi = the instance; r14 = inputs; r15 = inputs supplied
;   out: rax = 1 if every criterion matches, else 0; rdx = the next instance
; Criterion i is tested against inputs[i]. A wildcard matches anything and
; its input is NOT read -- which is why a rule set with a wildcard in field
; 21 never touched the missing 21st input, for months.
; Not System V: r14 and r15 are interpret's, read here as they are.
match_instance:
    push rbp                        ; the frame
    mov rbp, rsp
    push rbx                        ; callee-saved registers this routine uses
    push r12
    push r13
.if CONTENT_CHECK
    lea rax, [rdi + 8]              ; the instance's head (8 bytes) must lie inside the file
    cmp rax, [rip + current_file_end]
    ja .Lpast_the_file
.endif
    movzx r12d, word ptr [rdi + 6]  ; r12 = criteria count (the header's field_count)
    lea r8, [rdi + 8]               ; r8 = the first criterion
    xor ecx, ecx                    ; rcx = criterion index i
    mov ebx, 1                      ; rbx = "still matching"
.Lnext_criterion:
    cmp rcx, r12
    jae .Lmatch_done
.if CONTENT_CHECK
    lea rax, [r8 + 4]               ; the criterion's head must lie inside the file ...
    cmp rax, [rip + current_file_end]
    ja .Lpast_the_file
.endif
    movzx eax, byte ptr [r8]        ; kind
    movzx edx, word ptr [r8 + 2]    ; length of the value
    lea r13, [r8 + 4 + rdx]         ; r13 = the criterion after this one
.if CONTENT_CHECK
    cmp r13, [rip + current_file_end]   ; ... and so must its value
    ja .Lpast_the_file
.endif
    test ebx, ebx                   ; already failed: just walk to the end
    jz .Lcriterion_done
    cmp eax, KIND_WILDCARD
    je .Lcriterion_done             ; wildcard: match, and never read inputs[i]
; lab-answer 3: begin (student trees get the sensor without these two blocks: Lab 3 writes the first; the second would give Lab 8 away)
.if BOUNDS_CHECK
    cmp rcx, r15                    ; the fix: is there an input i at all?
    jb .Lin_bounds
    xor ebx, ebx                    ; no: this rule cannot match; say so
    push rcx
    push r8
    lea rdi, [rip + msg_out_of_bounds]
    call qword ptr [rip + import_log]
    pop r8
    pop rcx
    jmp .Lcriterion_done
.Lin_bounds:
.endif
.if TYPE_CHECK
    cmp eax, KIND_INT_EQUALS        ; an integer test never dereferences its input
    je .Ltype_ok
    mov r10, IPC_STRING_MASK        ; which inputs are strings, for this template type
    cmp qword ptr [rip + current_template], TEMPLATE_IPC
    je .Lmask_ready
    mov r10, PROCESS_STRING_MASK
.Lmask_ready:
    bt r10, rcx                     ; is input i a string?
    jc .Ltype_ok
    xor ebx, ebx                    ; no: a string test would read the integer as a pointer
    push rcx
    push r8
    lea rdi, [rip + msg_type_mismatch]
    call qword ptr [rip + import_log]
    pop r8
    pop rcx
    jmp .Lcriterion_done
.Ltype_ok:
.endif
; lab-answer 3: end
    mov [rip + current_criterion], rcx  ; for crash dumps: which criterion is being tested
    mov r9, [r14 + rcx*8]           ; r9 = inputs[i]   <-- i == 20 reads past the array
    cmp eax, KIND_INT_EQUALS
    je .Lcompare_integer
    ; String criterion: r9 must point at a NUL-terminated string.
    lea rsi, [r8 + 4]               ; rsi = the rule's value
    mov rdi, r9                     ; rdi = the input string
    call compare_string             ; eax = kind; edx = length -> rax = 1 if it matches
    mov ebx, eax
    jmp .Lcriterion_done
.Lcompare_integer:
.if CONTENT_CHECK
    lea rax, [r8 + 12]              ; the 8 bytes compared must lie inside the file
    cmp rax, [rip + current_file_end]
    ja .Lpast_the_file
.endif
    xor ebx, ebx
    cmp r9, [r8 + 4]
    sete bl
.Lcriterion_done:
    mov r8, r13
    inc rcx
    jmp .Lnext_criterion
.if CONTENT_CHECK
    jmp .Lmatch_done
.Lpast_the_file:
    ; The rule promises more than its file holds: it cannot match, and nothing
    ; after it can be trusted. rdx = 0 tells interpret to leave this file.
    lea rdi, [rip + msg_past_the_file]
    call qword ptr [rip + import_log]
    xor eax, eax
    xor edx, edx
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
.endif
.Lmatch_done:
    mov eax, ebx
    mov rdx, r8                     ; the next instance starts after the last criterion
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

; compare_string -- compare an input string with a rule's value.
;   in:  rdi = input string (NUL-terminated), rsi = value, edx = value length,
;        eax = KIND_STRING_EQUALS or KIND_STRING_PREFIX (not System V: see the top)
;   out: rax = 1 if the input equals (or starts with) the value, else 0
; Preserves rcx, r8, r9. A leaf: it calls nothing, so it keeps no frame.
compare_string:
    push rcx
    mov r10d, eax                   ; r10 = kind
    xor ecx, ecx                    ; rcx = position
.Lcompare_next:
    cmp ecx, edx
    jae .Lcompare_end_of_value
    movzx eax, byte ptr [rdi + rcx] ; a byte of the input   <-- a bad pointer faults here
    cmp al, byte ptr [rsi + rcx]
    jne .Lcompare_differs
    inc ecx
    jmp .Lcompare_next
.Lcompare_end_of_value:
    cmp r10d, KIND_STRING_PREFIX    ; a prefix only needs the value's bytes
    je .Lcompare_same
    cmp byte ptr [rdi + rcx], 0     ; equals: the input must end here too
    jne .Lcompare_differs
.Lcompare_same:
    mov eax, 1
    pop rcx
    ret
.Lcompare_differs:
    xor eax, eax
    pop rcx
    ret

.if CROSS_VIEW
; ---------------------------------------------------------------------------
; The process-integrity check (CROSS_VIEW, with --rootkit).
; ---------------------------------------------------------------------------

; Offsets into the kernel's process tables (simpleos/kernel/proclist.py) ...
TABLES_HEAD = 0x00              ; the active process list's head: flink, blink
TABLES_RUN_QUEUE_COUNT = 0x10
TABLES_ROOTS_COUNT = 0x18
TABLES_RUN_QUEUE = 0x40         ; u64 run_queue[]: the objects of what the scheduler runs
TABLES_ROOTS = 0x440            ; struct { u64 cr3, pid; } roots[]: every ring-3 address space
ROOT_ENTRY_SIZE = 16
; ... and into one process object.
OBJECT_FLINK = 0x00
OBJECT_PID = 0x10
OBJECT_CR3 = 0x18
SCAN_MAX = 128                  ; more entries than any list can hold: a loop, stop
VIEW_RUN_QUEUE = 1              ; report_hidden(pid, view): where the process was found
VIEW_ROOTS = 2
PROCESS_RECORD_SIZE = 24        ; what process_list writes: u64 pid, char name[16]

; cross_view_scan -- is every process the scheduler runs on the process list?
;
; Cross-view diffing, as ring-0 EDRs catch DKOM rootkits: walk the list the OS reports
; (view 1), then the structures the scheduler really uses (view 2, the run queue; view 3,
; the address-space roots) and report every process that is in those but not in view 1.
; Only a ring-0 driver can do it: the kernel exports its process tables to ring-0 drivers
; (import_process_tables) and binds the slot to 0 for a ring-3 one, whose only view is the
; process_list system call -- the very list the rootkit edited, with nothing beneath it to
; compare it against.
cross_view_scan:
    push rbp                        ; the frame: this routine calls the kernel
    mov rbp, rsp
    push rbx                        ; callee-saved registers this routine uses
    push r12
    push r13
    push r14
    push r15
    mov rbx, [rip + import_process_tables]  ; rbx = the kernel's process tables, or 0
    test rbx, rbx
    jz .Lscan_sanctioned_only
    ; View 1: walk the active process list from its head; keep each object in scan_listed.
    lea r12, [rip + scan_listed]    ; r12 = the objects on the list
    xor r13d, r13d                  ; r13 = how many
    mov rax, [rbx + TABLES_HEAD + OBJECT_FLINK]
.Lscan_walk:
    cmp rax, rbx                    ; back at the head: the whole list is walked
    je .Lscan_walked
    cmp r13, SCAN_MAX
    jae .Lscan_walked
    mov [r12 + r13*8], rax
    inc r13
    mov rax, [rax + OBJECT_FLINK]   ; next
    jmp .Lscan_walk
.Lscan_walked:
    mov [rip + scan_listed_count], r13
    ; View 2: every object in the run queue must be one of them.
    xor r14d, r14d                  ; r14 = run-queue index
.Lscan_run_queue:
    cmp r14, [rbx + TABLES_RUN_QUEUE_COUNT]
    jae .Lscan_run_queue_done
    cmp r14, SCAN_MAX
    jae .Lscan_run_queue_done
    mov r15, [rbx + TABLES_RUN_QUEUE + r14*8]   ; r15 = an object the scheduler runs
    inc r14
    xor ecx, ecx
.Lscan_find_object:
    cmp rcx, r13
    jae .Lscan_not_listed           ; on none of the list's entries: hidden
    cmp [r12 + rcx*8], r15
    je .Lscan_run_queue             ; listed: next
    inc rcx
    jmp .Lscan_find_object
.Lscan_not_listed:
    mov rdi, [r15 + OBJECT_PID]
    mov esi, VIEW_RUN_QUEUE
    call qword ptr [rip + import_report_hidden]
    jmp .Lscan_run_queue
.Lscan_run_queue_done:
; lab-answer 10: begin (student trees get the scan without view 3: Lab 10 writes it)
    ; View 3: every address-space root must be the cr3 of an object on the list.
    xor r14d, r14d                  ; r14 = roots index
.Lscan_roots:
    cmp r14, [rbx + TABLES_ROOTS_COUNT]
    jae .Lscan_done
    cmp r14, SCAN_MAX
    jae .Lscan_done
    mov rax, r14
    shl rax, 4                      ; * ROOT_ENTRY_SIZE
    lea r15, [rbx + rax + TABLES_ROOTS]     ; r15 = this root's entry
    inc r14
    mov rdx, [r15]                  ; rdx = the root (a cr3 value)
    xor ecx, ecx
.Lscan_find_root:
    cmp rcx, r13
    jae .Lscan_root_not_listed
    mov rax, [r12 + rcx*8]
    cmp [rax + OBJECT_CR3], rdx
    je .Lscan_roots                 ; some listed process runs in it: next
    inc rcx
    jmp .Lscan_find_root
.Lscan_root_not_listed:
    mov rdi, [r15 + 8]              ; the pid the kernel recorded with the root
    mov esi, VIEW_ROOTS
    call qword ptr [rip + import_report_hidden]
    jmp .Lscan_roots
; lab-answer 10: end
.Lscan_done:
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret
.Lscan_sanctioned_only:
    ; Ring 3: the sanctioned API is all there is. Ask it (the answer is the list as the
    ; rootkit left it) and keep how many processes it reported: there is no second view.
    lea rdi, [rip + scan_reported]
    mov esi, SCAN_MAX * PROCESS_RECORD_SIZE
    call qword ptr [rip + import_process_list]
    mov [rip + scan_listed_count], rax
    jmp .Lscan_done
.endif

.data
; The import table: the loader writes the address of each kernel function here.
import_wait_event:   .quad 0    ; wait_event(buffer, size) -> template type
import_verdict:      .quad 0    ; verdict(verdict, rule id, event handle)
import_get_content:  .quad 0    ; get_content(index, buffer, size) -> bytes, 0 = no more
import_log:          .quad 0    ; log(message)

msg_started:         .asciz "sensor: started, loading content"
msg_rejected:        .asciz "sensor: a content file has a bad header: ignored"
msg_out_of_bounds:   .asciz "sensor: bounds check: a rule reads an input the sensor does not supply; rule skipped"

.balign 8
verdict:             .quad 0
verdict_rule:        .quad 0
current_instance:    .quad 0    ; the rule being tested (crash dumps read these two)
current_criterion:   .quad 0
content_count:       .quad 0
content_files:       .space MAX_CONTENT_FILES * 8
process_inputs:      .space PROCESS_INPUTS * 8
ipc_context:         .space IPC_INPUTS * 8      ; u64 inputs[IPC_INPUTS] ...
ipc_event_handle:    .quad 0                     ; ... then the event handle
event_buffer:        .space EVENT_BUFFER_SIZE
.if CONTENT_FRAMES
.balign 4096                    ; the content area on whole pages of its own
.endif
content_area:        .space CONTENT_AREA_SIZE
.if CONTENT_FRAMES
content_area_end:               ; (a page boundary: the frames end here)
.endif
current_template:    .quad 0    ; the template type interpret runs (after the rest: see below)
; The fixed build's checks keep their data after everything else, so that the
; original build's layout -- every address in its crash dumps -- stays as it was.
current_file_end:    .quad 0    ; CONTENT_CHECK: the first byte after the file being interpreted
msg_type_mismatch:   .asciz "sensor: type check: a string test on an input that is an integer; rule skipped"
msg_past_the_file:   .asciz "sensor: content check: a rule runs past the end of its file; rest of the file skipped"
.if SENSOR_DELAY_US
.balign 8
import_sleep:        .quad 0    ; sleep(microseconds): wait in virtual time
.endif
.if CROSS_VIEW
.balign 8
import_process_tables: .quad 0  ; the kernel's process tables (a ring-0 export; 0 at ring 3)
import_process_list: .quad 0    ; process_list(buffer, size) -> records: the sanctioned view
import_report_hidden: .quad 0   ; report_hidden(pid, view): a process that runs but is not listed
scan_listed_count:   .quad 0    ; how many processes the last scan found on the list
scan_listed:         .space SCAN_MAX * 8                     ; their objects (ring 0)
scan_reported:       .space SCAN_MAX * PROCESS_RECORD_SIZE   ; what process_list said (ring 3)
.endif
