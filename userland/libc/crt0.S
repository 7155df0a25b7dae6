/*
 * crt0.S -- where every C program starts: _start, the code before main.
 *
 * The kernel (userstack.py) starts an ELF program the way Linux does: no
 * registers set up, only the stack. rsp points at argc, then come the argv
 * pointers (argv[0] is the program's name), a NULL, the environment
 * pointers (none on SimpleOS), a NULL, and the auxiliary vector:
 *
 *     [rsp]            argc
 *     [rsp + 8]        argv[0]
 *     ...              argv[argc - 1], then NULL
 *     ...              envp[...], then NULL
 *     ...              auxv: (type, value) pairs, ending with AT_NULL
 *
 * _start turns that into the C call main(argc, argv, envp), and main's
 * return value into the exit code: returning from main is exit(main(...)).
 */
    .intel_syntax noprefix
    .cfi_sections .debug_frame      /* unwind info for debuggers, as gcc -g writes it for C */
    .text
    .globl _start
    .type _start, @function
_start:
    .cfi_startproc
    .cfi_undefined rip              /* no caller: a debugger's backtrace ends here */
    xor ebp, ebp                    /* rbp = 0 marks the outermost frame too */
    mov rdi, [rsp]                  /* rdi = argc        (main's first argument) */
    lea rsi, [rsp + 8]              /* rsi = argv        (its second) */
    lea rdx, [rsi + rdi*8 + 8]      /* rdx = envp: just past argv's NULL (its third) */
    and rsp, -16                    /* the ABI: rsp 16-byte aligned at every call */
    call main
    mov edi, eax                    /* exit(main's return value) */
    call exit
    .cfi_endproc
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits     /* the stack is not executable */
