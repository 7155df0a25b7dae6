/*
 * _pages.c -- compare RAM with a saved copy, page by page: for checkpoints.
 *
 * machine/ramstate.py keeps a copy of RAM as a tuple of pages (bytes
 * objects of PAGE_SIZE), and a page that did not change since the previous
 * copy is the very same bytes object, shared. Finding out which pages
 * changed is a memcmp per page. In Python each comparison first slices the
 * page out of RAM (a fresh 4 KiB bytes object): about 0.4 ms for the
 * 450-odd pages a boot uses, a third of what a checkpoint costs. Here it is
 * a memcmp over the buffer, with a new bytes object only for a page that
 * differs. Most pages in use hold nothing but zeros (frames handed out and
 * zeroed, not yet written: nine in ten after a boot), and they all share one
 * bytes object, `zero`, so a first copy costs little more than the pages
 * that hold something.
 *
 *   share_pages(ram, length, old, page_size, zero) -> (pages, changed)
 *
 * `ram` is any object with the buffer protocol (the RAM's host memory,
 * machine/memory.py), `length` how many of its bytes to cover (a multiple of
 * page_size), `old` a tuple of the previous copy's pages (it may be
 * shorter), `zero` a bytes object of page_size zeros. `pages` is the tuple
 * of the pages of RAM now, reusing the objects of `old` that are equal, and
 * `zero` for a page of zeros; `changed` the list of the indices that
 * are not (taking a copy keeps `pages`; putting one back writes the pages
 * `changed` names).
 *
 * It must not do anything else: no policy, no unicorn calls.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

static PyObject *share_pages(PyObject *self, PyObject *args)
{
    Py_buffer ram;
    Py_ssize_t length, page_size;
    PyObject *old, *zero;
    if (!PyArg_ParseTuple(args, "y*nO!nO!", &ram, &length, &PyTuple_Type, &old, &page_size, &PyBytes_Type, &zero))
        return NULL;
    if (PyBytes_GET_SIZE(zero) != page_size) {
        PyBuffer_Release(&ram);
        PyErr_SetString(PyExc_ValueError, "share_pages: zero must be page_size bytes");
        return NULL;
    }
    if (page_size <= 0 || length < 0 || length % page_size || length > ram.len) {
        PyBuffer_Release(&ram);
        PyErr_SetString(PyExc_ValueError, "share_pages: length must be a multiple of page_size within the buffer");
        return NULL;
    }
    Py_ssize_t count = length / page_size, old_count = PyTuple_GET_SIZE(old);
    const char *bytes = (const char *)ram.buf;
    PyObject *pages = PyTuple_New(count), *changed = PyList_New(0);
    if (pages == NULL || changed == NULL)
        goto fail;
    for (Py_ssize_t index = 0; index < count; index++) {
        const char *page = bytes + index * page_size;
        PyObject *previous = index < old_count ? PyTuple_GET_ITEM(old, index) : NULL;
        if (previous != NULL && PyBytes_CheckExact(previous) && PyBytes_GET_SIZE(previous) == page_size
                && memcmp(PyBytes_AS_STRING(previous), page, (size_t)page_size) == 0) {
            Py_INCREF(previous);
            PyTuple_SET_ITEM(pages, index, previous);
            continue;
        }
        PyObject *copy;
        if (page[0] == 0 && memcmp(page, page + 1, (size_t)page_size - 1) == 0) {   /* all zeros */
            Py_INCREF(zero);
            copy = zero;
        } else {
            copy = PyBytes_FromStringAndSize(page, page_size);
        }
        PyObject *number = PyLong_FromSsize_t(index);
        if (copy == NULL || number == NULL || PyList_Append(changed, number) < 0) {
            Py_XDECREF(copy);
            Py_XDECREF(number);
            goto fail;
        }
        Py_DECREF(number);
        PyTuple_SET_ITEM(pages, index, copy);
    }
    PyBuffer_Release(&ram);
    PyObject *result = PyTuple_Pack(2, pages, changed);
    Py_DECREF(pages);
    Py_DECREF(changed);
    return result;
fail:
    PyBuffer_Release(&ram);
    Py_XDECREF(pages);
    Py_XDECREF(changed);
    return NULL;
}

static PyMethodDef pages_methods[] = {
    {"share_pages", share_pages, METH_VARARGS,
     "share_pages(ram, length, old, page_size, zero) -> (pages, changed): RAM as pages, sharing old's equal "
     "ones, and `zero` for pages of zeros."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef pages_module = {
    PyModuleDef_HEAD_INIT, "_pages",
    "Page-by-page comparison of RAM with a saved copy (see machine/ramstate.py).", -1, pages_methods,
};

PyMODINIT_FUNC PyInit__pages(void) { return PyModule_Create(&pages_module); }
