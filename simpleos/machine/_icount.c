/*
 * _icount.c -- the instruction counter: the only C in SimpleOS.
 *
 * unicorn calls icount_on_instruction() before every guest instruction (a
 * UC_HOOK_CODE hook installed by machine/icount.py). It counts instructions
 * retired, which is the machine's virtual clock, and stops the CPU when the
 * time slice's budget is spent, so a guest `jmp $` can never hang the host.
 *
 * unicorn's own emu_start(count=N) does the same thing but never tells you how
 * many instructions actually ran when a trap ends the slice early; the clock
 * and time-travel debugging need that number exactly.
 *
 * It must not do anything else: no policy, no Python calls.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

typedef struct {
    uint64_t retired;   /* instructions started in this slice (the counter) */
    uint64_t budget;    /* stop before the instruction that would exceed it  */
    int (*emu_stop)(void *uc);  /* unicorn's uc_emu_stop                      */
} icount_t;

/* Called by unicorn before each instruction at `address`. */
void icount_on_instruction(void *uc, uint64_t address, uint32_t size, icount_t *counter)
{
    (void)address;
    (void)size;
    if (counter->retired >= counter->budget) {
        counter->emu_stop(uc);
        return;
    }
    counter->retired++;
}

/* A Python extension module only so that setuptools builds and ships it;
 * machine/icount.py loads it with ctypes. */
static struct PyModuleDef icount_module = {
    PyModuleDef_HEAD_INIT, "_icount",
    "Native instruction-counter hook for unicorn (see machine/icount.py).", -1, NULL,
};

PyMODINIT_FUNC PyInit__icount(void) { return PyModule_Create(&icount_module); }
