/*
 * _senti.c - the CPython extension under the `senti` package: libsenti's API as Python types.
 *
 * The package (python/senti/) is thin Python over this module, which owns everything on the
 * per-text path, because a Python function call there would cost more than the scoring of a
 * short sentence. It defines:
 *   Model     a senti_model: open by spec (as senti_model_open), predict (one text, METH_O),
 *             values (one text -> the model's named values as a dict: VADER's polarity_scores),
 *             predict_batch (any iterable; senti_predict_batch with the library's threads, in
 *             chunks whose Python work overlaps the scoring of the next, so that memory stays
 *             bounded; or columns: the labels and one block of doubles), _explain
 *             (senti_explain, byte spans; the Python side turns them into characters), close and
 *             the context manager, _c_loop (the benchmark's C baseline).
 *   Result    one text's result, immutable: label, score, scores and the model's own values
 *             (VADER's neg/neu/pos/compound as attributes and keys). The scores and values
 *             dicts are built only when asked for, so a predict call allocates one object.
 *   train     the linear trainer (senti__linear_train, from libsenti-tools.a) on texts and
 *             integer labels held in memory; senti.sklearn builds its estimator on it.
 *   ModelError, version, kinds, memory_stats.
 *
 * Text: str is encoded as UTF-8. A str that cannot be (lone surrogates, e.g. from
 * surrogateescape decoding) gets each lone surrogate replaced by U+FFFD, the code point the
 * library reads for every byte it cannot decode, so predict("a\ud800") == predict("a\ufffd").
 * bytes are passed as they are (the library reads invalid UTF-8 as U+FFFD per byte). A str
 * longer than the model's max_text_bytes characters is cut to that many characters before
 * encoding (the library reads no more bytes than that anyway), so a huge string costs no huge
 * copy. Anything else is a TypeError: never a crash.
 *
 * Threads: the GIL is released around every library call. A Model may be shared by Python
 * threads: the scratch contexts (senti_ctx, one per concurrent call) are kept in a small pool
 * that is touched only with the GIL held, and a close() while calls are in flight defers the
 * free to the last of them. Built against the stable ABI (Py_LIMITED_API 3.9): one build
 * serves CPython 3.9 and later.
 */
#define Py_LIMITED_API 0x03090000
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "senti.h"
#include "models/linear/linear.h"

#define POOL_MAX 16
#define BATCH_CHUNKS 8          /* predict_batch: chunks per batch, */
#define BATCH_CHUNK_MIN 2048    /* of at least this many texts */
#define BATCH_CHUNK_MAX 65536   /* and at most this many */
#define ERR_SIZE 512

static PyObject *ModelError;
static PyTypeObject *ResultType;

typedef struct {
    PyObject_HEAD
    senti_model *m;
    senti_ctx *pool[POOL_MAX];
    int npool;
    int busy;    /* calls in flight (GIL released inside them) */
    int closing; /* close() was called while busy: the last call frees */
    uint32_t max_text;
    PyObject *labels;      /* tuple of str */
    PyObject *value_names; /* tuple of str */
} ModelObject;

typedef struct {
    PyObject_VAR_HEAD
    PyObject *labels, *value_names; /* the model's tuples (shared) */
    int32_t label, n_classes, n_values;
    uint32_t n_tokens, truncated;
    double score;
    double v[]; /* the n_classes probabilities, then the n_values values: no more than used */
} ResultObject;

/* ---- errors ---------------------------------------------------------------------------- */

/* Raise the exception for a library status: ValueError for bad arguments, MemoryError for
 * SENTI_ENOMEM, ModelError (with .status and .status_name) for the rest. */
static PyObject *raise_status(int rc, const char *msg) {
    if (!msg || !*msg) msg = senti_strerror(rc);
    if (rc == SENTI_EINVAL) return PyErr_Format(PyExc_ValueError, "%s", msg);
    if (rc == SENTI_ENOMEM) return PyErr_NoMemory();
    PyObject *e = PyObject_CallFunction(ModelError, "s", msg);
    if (!e) return NULL;
    PyObject *st = PyLong_FromLong(rc);
    if (st) PyObject_SetAttrString(e, "status", st);
    Py_XDECREF(st);
    PyObject *nm = PyUnicode_FromString(senti_status_name(rc));
    if (nm) PyObject_SetAttrString(e, "status_name", nm);
    Py_XDECREF(nm);
    PyErr_SetObject(ModelError, e);
    Py_DECREF(e);
    return NULL;
}

static PyObject *type_error(const char *what, PyObject *o) {
    PyObject *t = PyObject_GetAttrString((PyObject *)Py_TYPE(o), "__name__");
    if (t) PyErr_Format(PyExc_TypeError, "%s must be str or bytes, not %U", what, t);
    Py_XDECREF(t);
    return NULL;
}

/* ---- text ------------------------------------------------------------------------------ */

typedef struct {
    const char *p;
    size_t n;
    PyObject *keep; /* owns p */
    int cut;        /* the str was cut to max_text characters */
} text_view;

/* UTF-8 of a str holding lone surrogates, each one written as U+FFFD. */
static PyObject *encode_replacing_surrogates(PyObject *s) {
    Py_UCS4 *u = PyUnicode_AsUCS4Copy(s);
    if (!u) return NULL;
    Py_ssize_t len = PyUnicode_GetLength(s), size = 0;
    for (Py_ssize_t i = 0; i < len; i++)
        size += u[i] < 0x80 ? 1 : u[i] < 0x800 ? 2 : u[i] < 0x10000 ? 3 : 4;
    PyObject *b = PyBytes_FromStringAndSize(NULL, size);
    if (!b) goto done;
    unsigned char *o = (unsigned char *)PyBytes_AsString(b);
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_UCS4 c = u[i] >= 0xD800 && u[i] <= 0xDFFF ? 0xFFFD : u[i];
        if (c < 0x80) *o++ = (unsigned char)c;
        else if (c < 0x800) *o++ = (unsigned char)(0xC0 | c >> 6), *o++ = (unsigned char)(0x80 | (c & 63));
        else if (c < 0x10000)
            *o++ = (unsigned char)(0xE0 | c >> 12), *o++ = (unsigned char)(0x80 | (c >> 6 & 63)),
            *o++ = (unsigned char)(0x80 | (c & 63));
        else
            *o++ = (unsigned char)(0xF0 | c >> 18), *o++ = (unsigned char)(0x80 | (c >> 12 & 63)),
            *o++ = (unsigned char)(0x80 | (c >> 6 & 63)), *o++ = (unsigned char)(0x80 | (c & 63));
    }
done:
    PyMem_Free(u);
    return b;
}

static PyObject *encode_str(PyObject *s, uint32_t max_text, int *cut) {
    Py_ssize_t len = PyUnicode_GetLength(s);
    if (len < 0) return NULL;
    PyObject *src = s;
    Py_INCREF(src);
    if ((size_t)len > max_text) { /* each character is at least one byte */
        Py_DECREF(src);
        if (!(src = PyUnicode_Substring(s, 0, (Py_ssize_t)max_text))) return NULL;
        *cut = 1;
    }
    PyObject *b = PyUnicode_AsUTF8String(src);
    if (!b && PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) {
        PyErr_Clear();
        b = encode_replacing_surrogates(src);
    }
    Py_DECREF(src);
    return b;
}

/* The bytes to score for o (str, bytes or bytearray); 0, or -1 with a TypeError. */
static int text_get(PyObject *o, uint32_t max_text, text_view *tv) {
    tv->cut = 0;
    if (PyUnicode_Check(o)) tv->keep = encode_str(o, max_text, &tv->cut);
    else if (PyBytes_Check(o)) Py_INCREF(o), tv->keep = o;
    else if (PyByteArray_Check(o)) tv->keep = PyBytes_FromObject(o); /* a copy: it may change */
    else return type_error("text", o), -1;
    if (!tv->keep) return -1;
    char *p;
    Py_ssize_t n;
    if (PyBytes_AsStringAndSize(tv->keep, &p, &n) < 0) {
        Py_CLEAR(tv->keep);
        return -1;
    }
    tv->p = p, tv->n = (size_t)n;
    return 0;
}

/* ---- Result ---------------------------------------------------------------------------- */

static PyObject *result_new(const ModelObject *mo, const senti_result *r, int cut) {
    int nc = r->n_classes < 0 ? 0 : r->n_classes > SENTI_MAX_CLASSES ? SENTI_MAX_CLASSES : r->n_classes;
    int nv = r->n_values < 0 ? 0 : r->n_values > SENTI_MAX_VALUES ? SENTI_MAX_VALUES : r->n_values;
    ResultObject *o = PyObject_NewVar(ResultObject, ResultType, nc + nv);
    if (!o) return NULL;
    Py_INCREF(mo->labels), o->labels = mo->labels;
    Py_INCREF(mo->value_names), o->value_names = mo->value_names;
    o->label = r->label, o->n_classes = nc, o->n_values = nv;
    o->n_tokens = r->n_tokens, o->truncated = r->truncated || cut;
    o->score = r->score;
    memcpy(o->v, r->probs, (size_t)nc * sizeof *o->v);
    memcpy(o->v + nc, r->values, (size_t)nv * sizeof *o->v);
    return (PyObject *)o;
}

static void result_dealloc(ResultObject *o) {
    PyTypeObject *tp = Py_TYPE(o);
    Py_XDECREF(o->labels);
    Py_XDECREF(o->value_names);
    PyObject_Free(o);
    Py_DECREF(tp);
}

/* {names[i]: v[i]} for i < n */
static PyObject *named_dict(PyObject *names, const double *v, int n) {
    PyObject *d = PyDict_New();
    for (int i = 0; d && i < n && i < PyTuple_Size(names); i++) {
        PyObject *f = PyFloat_FromDouble(v[i]);
        if (!f || PyDict_SetItem(d, PyTuple_GetItem(names, i), f) < 0) Py_CLEAR(d);
        Py_XDECREF(f);
    }
    return d;
}

static PyObject *result_label(ResultObject *o, void *c) {
    (void)c;
    PyObject *l = PyTuple_GetItem(o->labels, o->label);
    Py_XINCREF(l);
    return l;
}
static PyObject *result_index(ResultObject *o, void *c) { (void)c; return PyLong_FromLong(o->label); }
static PyObject *result_score(ResultObject *o, void *c) { (void)c; return PyFloat_FromDouble(o->score); }
static PyObject *result_scores(ResultObject *o, void *c) {
    (void)c;
    return named_dict(o->labels, o->v, o->n_classes);
}
static PyObject *result_values(ResultObject *o, void *c) {
    (void)c;
    return named_dict(o->value_names, o->v + o->n_classes, o->n_values);
}
static PyObject *result_ntokens(ResultObject *o, void *c) { (void)c; return PyLong_FromUnsignedLong(o->n_tokens); }
static PyObject *result_truncated(ResultObject *o, void *c) { (void)c; return PyBool_FromLong(o->truncated); }

/* The model value named key, or NULL without an exception set. */
static PyObject *result_value_named(ResultObject *o, PyObject *key) {
    if (!PyUnicode_Check(key)) return NULL;
    for (int i = 0; i < o->n_values && i < PyTuple_Size(o->value_names); i++) {
        int eq = PyUnicode_Compare(PyTuple_GetItem(o->value_names, i), key) == 0;
        if (eq) return PyFloat_FromDouble(o->v[o->n_classes + i]);
    }
    return NULL;
}

/* Attributes: the getters, then the model's value names (r.compound). */
static PyObject *result_getattro(ResultObject *o, PyObject *name) {
    PyObject *v = PyObject_GenericGetAttr((PyObject *)o, name);
    if (v || !PyErr_ExceptionMatches(PyExc_AttributeError)) return v;
    PyObject *t, *val, *tb;
    PyErr_Fetch(&t, &val, &tb);
    v = result_value_named(o, name);
    if (v) {
        Py_XDECREF(t), Py_XDECREF(val), Py_XDECREF(tb);
        return v;
    }
    PyErr_Restore(t, val, tb);
    return NULL;
}

static PyObject *result_to_dict(ResultObject *o, PyObject *unused) {
    (void)unused;
    PyObject *d = PyDict_New(), *v = NULL;
    if (!d) return NULL;
    if (!(v = result_label(o, NULL)) || PyDict_SetItemString(d, "label", v) < 0) goto fail;
    Py_DECREF(v);
    if (!(v = PyFloat_FromDouble(o->score)) || PyDict_SetItemString(d, "score", v) < 0) goto fail;
    Py_DECREF(v);
    if (!(v = result_scores(o, NULL)) || PyDict_SetItemString(d, "scores", v) < 0) goto fail;
    Py_DECREF(v);
    if (!(v = result_values(o, NULL)) || PyDict_Update(d, v) < 0) goto fail;
    Py_DECREF(v);
    return d;
fail:
    Py_XDECREF(v);
    Py_DECREF(d);
    return NULL;
}

/* r["label"], r["score"], r["scores"], r["compound"]: the keys of to_dict() */
static PyObject *result_subscript(ResultObject *o, PyObject *key) {
    PyObject *d = result_to_dict(o, NULL);
    if (!d) return NULL;
    PyObject *v = PyDict_GetItemWithError(d, key);
    Py_XINCREF(v);
    if (!v && !PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, key);
    Py_DECREF(d);
    return v;
}

static PyObject *result_repr(ResultObject *o) {
    PyObject *d = result_to_dict(o, NULL);
    if (!d) return NULL;
    PyObject *r = PyUnicode_FromFormat("Result(%R)", d);
    Py_DECREF(d);
    return r;
}

static PyObject *result_richcompare(ResultObject *a, PyObject *b, int op) {
    if (!PyObject_TypeCheck(b, ResultType) || (op != Py_EQ && op != Py_NE)) Py_RETURN_NOTIMPLEMENTED;
    PyObject *da = result_to_dict(a, NULL), *db = result_to_dict((ResultObject *)b, NULL), *r = NULL;
    if (da && db) r = PyObject_RichCompare(da, db, op);
    Py_XDECREF(da), Py_XDECREF(db);
    return r;
}

static PyGetSetDef result_getset[] = {
    {"label", (getter)result_label, NULL, "the predicted label (str)", NULL},
    {"index", (getter)result_index, NULL, "the predicted label's index in Model.labels", NULL},
    {"score", (getter)result_score, NULL,
     "the positive score in [0, 1] (P(positive), or the top label's probability; VADER: "
     "(compound + 1) / 2)", NULL},
    {"scores", (getter)result_scores, NULL, "{label: probability} (a new dict)", NULL},
    {"values", (getter)result_values, NULL, "the model's own named values, e.g. VADER's "
     "{'neg', 'neu', 'pos', 'compound'} (a new dict; also readable as attributes)", NULL},
    {"n_tokens", (getter)result_ntokens, NULL, "tokens considered", NULL},
    {"truncated", (getter)result_truncated, NULL, "True if a bound cut the text", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef result_methods[] = {
    {"to_dict", (PyCFunction)result_to_dict, METH_NOARGS,
     "to_dict() -> dict: label, score, scores and the model's own values"},
    {NULL, NULL, 0, NULL}};

static PyType_Slot result_slots[] = {
    {Py_tp_dealloc, result_dealloc}, {Py_tp_getattro, result_getattro},
    {Py_tp_getset, result_getset}, {Py_tp_methods, result_methods},
    {Py_tp_repr, result_repr}, {Py_tp_richcompare, result_richcompare},
    {Py_mp_subscript, result_subscript},
    {Py_tp_doc, "One text's result (immutable): label, score, scores, the model's own values.\n\n"
                "r.label, r.score, r.scores, r.values, r.to_dict(), r['compound'], r.compound"},
    {0, NULL}};
static PyType_Spec result_spec = {"senti.Result", (int)offsetof(ResultObject, v), (int)sizeof(double),
                                  Py_TPFLAGS_DEFAULT, result_slots};

/* ---- Model: lifetime ------------------------------------------------------------------- */

static void model_release(ModelObject *self) {
    for (int i = 0; i < self->npool; i++) senti_ctx_free(self->pool[i]);
    self->npool = 0;
    senti_model_free(self->m);
    self->m = NULL;
    self->closing = 0;
}

/* Begin a call: the model must be open. Every model_enter is paired with model_leave. */
static int model_enter(ModelObject *self) {
    if (!self->m || self->closing) {
        PyErr_SetString(PyExc_ValueError, "the model is closed");
        return -1;
    }
    self->busy++;
    return 0;
}
static void model_leave(ModelObject *self) {
    if (--self->busy == 0 && self->closing) model_release(self);
}

/* A scratch context from the pool, or a new one (NULL if that fails: the call then allocates). */
static senti_ctx *ctx_take(ModelObject *self) {
    if (self->npool) return self->pool[--self->npool];
    senti_ctx *c = NULL;
    return senti_ctx_new(self->m, &c) == SENTI_OK ? c : NULL;
}
static void ctx_give(ModelObject *self, senti_ctx *c) {
    if (!c) return;
    if (self->npool < POOL_MAX) self->pool[self->npool++] = c;
    else senti_ctx_free(c);
}

static PyObject *str_tuple(int n, const char *(*get)(const senti_model *, int), const senti_model *m) {
    PyObject *t = PyTuple_New(n);
    for (int i = 0; t && i < n; i++) {
        const char *s = get(m, i);
        PyObject *u = PyUnicode_DecodeUTF8(s ? s : "", (Py_ssize_t)strlen(s ? s : ""), "replace");
        if (!u) Py_CLEAR(t);
        else PyTuple_SetItem(t, i, u);
    }
    return t;
}

/* spec: None, str or os.PathLike -> a new UTF-8 bytes object (None: "default") */
static PyObject *spec_bytes(PyObject *spec) {
    if (spec == Py_None) return PyBytes_FromString("default");
    PyObject *p = PyOS_FSPath(spec), *b = NULL;
    if (!p) return NULL;
    if (PyUnicode_Check(p)) b = PyUnicode_EncodeFSDefault(p);
    else Py_INCREF(p), b = p;
    Py_DECREF(p);
    return b;
}

static int model_init(ModelObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"spec", "max_text_bytes", "max_tokens", "lexicon_dir", "read", NULL};
    PyObject *spec = Py_None, *lexdir = Py_None;
    long long max_text = 0, max_tok = 0;
    int read = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O$LLOp", kwlist, &spec, &max_text, &max_tok,
                                     &lexdir, &read))
        return -1;
    if (max_text < 0 || max_text > UINT32_MAX || max_tok < 0 || max_tok > UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "max_text_bytes and max_tokens must be in [0, 2**32)");
        return -1;
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "Model.__init__ on a model in use");
        return -1;
    }
    PyObject *sb = spec_bytes(spec), *lb = lexdir == Py_None ? NULL : spec_bytes(lexdir);
    if (!sb || (lexdir != Py_None && !lb)) {
        Py_XDECREF(sb), Py_XDECREF(lb);
        return -1;
    }
    senti_options o = {.max_text_bytes = (uint32_t)max_text, .max_tokens = (uint32_t)max_tok,
                       .lexicon_dir = lb ? PyBytes_AsString(lb) : NULL,
                       .flags = read ? SENTI_OPEN_READ : 0};
    char err[ERR_SIZE] = "";
    senti_model *m = NULL;
    int rc;
    const char *s = PyBytes_AsString(sb);
    Py_BEGIN_ALLOW_THREADS
    rc = senti_model_open(s, &o, &m, err, sizeof err);
    Py_END_ALLOW_THREADS
    Py_DECREF(sb);
    Py_XDECREF(lb);
    if (rc) return raise_status(rc, err), -1;
    model_release(self);
    Py_CLEAR(self->labels);
    Py_CLEAR(self->value_names);
    self->m = m;
    self->max_text = max_text ? (uint32_t)max_text : SENTI_DEFAULT_MAX_TEXT_BYTES;
    self->labels = str_tuple(senti_model_n_classes(m), senti_model_label, m);
    self->value_names = str_tuple(senti_model_n_values(m), senti_model_value_name, m);
    if (!self->labels || !self->value_names) return model_release(self), -1;
    return 0;
}

static void model_dealloc(ModelObject *self) {
    PyTypeObject *tp = Py_TYPE(self);
    model_release(self); /* no call can be in flight: each holds a reference */
    Py_CLEAR(self->labels);
    Py_CLEAR(self->value_names);
    freefunc f = (freefunc)PyType_GetSlot(tp, Py_tp_free);
    f(self);
    Py_DECREF(tp);
}

static PyObject *model_close(ModelObject *self, PyObject *unused) {
    (void)unused;
    if (self->busy) self->closing = 1;
    else model_release(self);
    Py_RETURN_NONE;
}

static PyObject *model_enter_ctx(ModelObject *self, PyObject *unused) {
    (void)unused;
    if (!self->m) return PyErr_SetString(PyExc_ValueError, "the model is closed"), NULL;
    Py_INCREF(self);
    return (PyObject *)self;
}

static PyObject *model_exit_ctx(ModelObject *self, PyObject *args) {
    (void)args;
    return model_close(self, NULL);
}

/* ---- Model: scoring -------------------------------------------------------------------- */

/* Score one text into r with the GIL released; 0, or -1 with an exception. */
static int score_one(ModelObject *self, PyObject *text, senti_result *r, int *cut) {
    text_view tv;
    if (text_get(text, self->max_text, &tv)) return -1;
    senti_ctx *ctx = ctx_take(self);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = senti_predict(self->m, ctx, tv.p, tv.n, r);
    Py_END_ALLOW_THREADS
    ctx_give(self, ctx);
    Py_DECREF(tv.keep);
    *cut = tv.cut;
    return rc ? (raise_status(rc, NULL), -1) : 0;
}

static PyObject *model_predict(ModelObject *self, PyObject *text) {
    if (model_enter(self)) return NULL;
    senti_result r;
    int cut = 0;
    PyObject *res = score_one(self, text, &r, &cut) ? NULL : result_new(self, &r, cut);
    model_leave(self);
    return res;
}

static PyObject *model_values(ModelObject *self, PyObject *text) {
    if (model_enter(self)) return NULL;
    senti_result r;
    int cut = 0;
    PyObject *res = score_one(self, text, &r, &cut) ? NULL
                                                    : named_dict(self->value_names, r.values, r.n_values);
    model_leave(self);
    return res;
}

/* Where predict_batch puts its results: a list of Result, or (as_columns) the label list and
 * one block of doubles, column after column (score, each label's probability, each value),
 * which the Python side views as arrays without a Python object per number. */
typedef struct {
    PyObject *list;   /* Results, or the labels (str) */
    PyObject *block;  /* as_columns: bytearray of ncols * n doubles */
    double *col;
    Py_ssize_t n;
    int ncols, columns;
} batch_out;

static int out_init(ModelObject *self, batch_out *o, Py_ssize_t n, int columns) {
    *o = (batch_out){.n = n, .columns = columns};
    o->ncols = 1 + (int)PyTuple_Size(self->labels) + (int)PyTuple_Size(self->value_names);
    o->list = PyList_New(n);
    if (columns && o->list) {
        o->block = PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)sizeof(double) * o->ncols * (n ? n : 1));
        if (o->block) o->col = (double *)(void *)PyByteArray_AsString(o->block);
    }
    return o->list && (!columns || o->block) ? 0 : -1;
}

/* Result i of the batch */
static int out_put(ModelObject *self, batch_out *o, Py_ssize_t i, const senti_result *r, int cut) {
    if (!o->columns) {
        PyObject *res = result_new(self, r, cut);
        return res ? PyList_SetItem(o->list, i, res) : -1;
    }
    PyObject *lab = PyTuple_GetItem(self->labels, r->label);
    if (!lab) return -1;
    Py_INCREF(lab);
    PyList_SetItem(o->list, i, lab);
    double *c = o->col + i;
    c[0] = r->score;
    int nl = (int)PyTuple_Size(self->labels), nv = (int)PyTuple_Size(self->value_names);
    for (int k = 0; k < nl; k++) c[(k + 1) * o->n] = k < r->n_classes ? r->probs[k] : 0.0;
    for (int k = 0; k < nv; k++) c[(k + 1 + nl) * o->n] = k < r->n_values ? r->values[k] : 0.0;
    return 0;
}

/* The batch's answer: the list, or (labels, block, ncols) for the Python side */
static PyObject *out_finish(batch_out *o) {
    if (!o->columns) return o->list;
    PyObject *t = Py_BuildValue("(OOi)", o->list, o->block, o->ncols);
    Py_DECREF(o->list), Py_DECREF(o->block);
    return t;
}

static void out_clear(batch_out *o) {
    Py_CLEAR(o->list);
    Py_CLEAR(o->block);
}

/* predict_batch runs as a pipeline of chunks: while the library scores chunk k on its threads
 * (started from a thread of ours, the GIL released there), this thread, holding the GIL,
 * turns the results of chunk k-1 into Python objects and encodes chunk k+1. The Python work
 * thus overlaps the scoring instead of adding to it, and memory stays bounded by two chunks.
 * With threads=1 the chunks are scored one after the other on this thread, the GIL released. */
typedef struct {
    const senti_model *m;
    Py_ssize_t lo, n;
    senti_text *texts;
    senti_result *res;
    PyObject **keep; /* the bytes objects holding texts[i] */
    int *cut;
    int threads, status, running;
    pthread_t tid;
} batch_chunk;

static void *chunk_score(void *arg) {
    batch_chunk *c = arg;
    c->status = senti_predict_batch(c->m, c->texts, (size_t)c->n, c->res, c->threads);
    return NULL;
}

static void chunk_release(batch_chunk *c) {
    for (Py_ssize_t i = 0; i < c->n; i++) Py_CLEAR(c->keep[i]);
    c->n = 0;
}

/* Encode items [lo, lo + n) of list; 0, or -1 with an exception naming the item. */
static int chunk_encode(ModelObject *self, PyObject *list, batch_chunk *c, Py_ssize_t lo, Py_ssize_t n) {
    c->lo = lo, c->n = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        text_view tv;
        if (text_get(PyList_GetItem(list, lo + i), self->max_text, &tv)) {
            PyObject *t, *v, *tb;
            PyErr_Fetch(&t, &v, &tb);
            PyErr_Format(t, "texts[%zd]: %S", lo + i, v ? v : Py_None);
            Py_XDECREF(t), Py_XDECREF(v), Py_XDECREF(tb);
            return -1;
        }
        c->keep[i] = tv.keep, c->cut[i] = tv.cut;
        c->texts[i] = (senti_text){tv.p, tv.n};
        c->n = i + 1;
    }
    return 0;
}

/* Start scoring c: on a thread of ours when overlap is wanted, else right here. */
static void chunk_start(batch_chunk *c, int overlap) {
    c->running = overlap && pthread_create(&c->tid, NULL, chunk_score, c) == 0;
    if (!c->running) {
        Py_BEGIN_ALLOW_THREADS
        chunk_score(c);
        Py_END_ALLOW_THREADS
    }
}

static int chunk_join(batch_chunk *c) {
    if (c->running) {
        Py_BEGIN_ALLOW_THREADS
        pthread_join(c->tid, NULL);
        Py_END_ALLOW_THREADS
        c->running = 0;
    }
    return c->status ? (raise_status(c->status, NULL), -1) : 0;
}

/* Put c's results into out. */
static int chunk_emit(ModelObject *self, batch_chunk *c, batch_out *out) {
    int rc = 0;
    for (Py_ssize_t i = 0; !rc && i < c->n; i++) rc = out_put(self, out, c->lo + i, &c->res[i], c->cut[i]);
    return rc;
}

static int chunks_alloc(batch_chunk c[2], const senti_model *m, Py_ssize_t cap, int threads) {
    for (int k = 0; k < 2; k++) {
        c[k] = (batch_chunk){.m = m, .threads = threads};
        c[k].texts = PyMem_Calloc((size_t)cap, sizeof *c[k].texts);
        c[k].res = PyMem_Calloc((size_t)cap, sizeof *c[k].res);
        c[k].keep = PyMem_Calloc((size_t)cap, sizeof *c[k].keep);
        c[k].cut = PyMem_Calloc((size_t)cap, sizeof *c[k].cut);
        if (!c[k].texts || !c[k].res || !c[k].keep || !c[k].cut) return PyErr_NoMemory(), -1;
    }
    return 0;
}

static void chunks_free(batch_chunk c[2]) {
    for (int k = 0; k < 2; k++) {
        if (c[k].keep) chunk_release(&c[k]);
        PyMem_Free(c[k].texts), PyMem_Free(c[k].res), PyMem_Free(c[k].keep), PyMem_Free(c[k].cut);
    }
}

/* Texts per chunk: about BATCH_CHUNKS chunks, so that the handoffs to the scoring thread (which
 * can wait for a time slice on a busy machine) are few, within bounds on the memory held. */
static Py_ssize_t chunk_size(Py_ssize_t n) {
    Py_ssize_t c = (n + BATCH_CHUNKS - 1) / BATCH_CHUNKS;
    c = c < BATCH_CHUNK_MIN ? BATCH_CHUNK_MIN : c > BATCH_CHUNK_MAX ? BATCH_CHUNK_MAX : c;
    return n < c ? n : c;
}

static PyObject *batch_run(ModelObject *self, PyObject *list, int threads, int columns) {
    Py_ssize_t n = PyList_Size(list), cap = chunk_size(n);
    batch_chunk c[2];
    batch_out out = {0};
    if (chunks_alloc(c, self->m, cap + 1, threads) || out_init(self, &out, n, columns) ||
        chunk_encode(self, list, &c[0], 0, cap)) {
        chunks_free(c);
        out_clear(&out);
        return NULL;
    }
    int rc = 0, overlap = n > cap && threads != 1; /* threads=1: this thread alone */
    for (int k = 0; c[k & 1].lo < n && c[k & 1].n; k++) {
        batch_chunk *cur = &c[k & 1], *other = &c[(k + 1) & 1];
        chunk_start(cur, overlap);
        if (k > 0 && !rc) rc = chunk_emit(self, other, &out); /* chunk k-1 */
        chunk_release(other);
        Py_ssize_t next = cur->lo + cur->n;
        if (!rc && next < n) rc = chunk_encode(self, list, other, next, n - next < cap ? n - next : cap);
        if (chunk_join(cur) && !rc) rc = -1;
        if (rc) break;
        if (next >= n) rc = chunk_emit(self, cur, &out); /* the last chunk */
    }
    chunks_free(c);
    if (rc) {
        out_clear(&out);
        return NULL;
    }
    return out_finish(&out);
}

static PyObject *model_predict_batch(ModelObject *self, PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"texts", "threads", "_columns", NULL};
    PyObject *texts;
    int threads = 0, columns = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|i$p", kwlist, &texts, &threads, &columns)) return NULL;
    if (threads < 0) return PyErr_Format(PyExc_ValueError, "threads must be >= 0, not %d", threads);
    if (PyUnicode_Check(texts) || PyBytes_Check(texts))
        return PyErr_Format(PyExc_TypeError, "texts must be an iterable of texts, not one text "
                                             "(use predict for one text)");
    if (model_enter(self)) return NULL;
    PyObject *it = PyObject_GetIter(texts), *list = NULL, *out = NULL;
    if (!it && PyErr_ExceptionMatches(PyExc_TypeError)) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, "texts must be an iterable of str or bytes");
    }
    if (it) list = PySequence_List(it); /* our own copy: other threads may change theirs meanwhile */
    if (list) out = batch_run(self, list, threads, columns);
    Py_XDECREF(it);
    Py_XDECREF(list);
    model_leave(self);
    return out;
}

/* ---- Model: explanations --------------------------------------------------------------- */

static PyObject *contrib_tuple(const senti_contribution *c, int n_logits) {
    PyObject *lg = PyTuple_New(n_logits);
    for (int k = 0; lg && k < n_logits; k++) {
        PyObject *f = PyFloat_FromDouble((double)c->logit[k]);
        if (!f) Py_CLEAR(lg);
        else PyTuple_SetItem(lg, k, f);
    }
    if (!lg) return NULL;
    return Py_BuildValue("(IIIIN)", c->start, c->end, c->order, c->flags, lg);
}

/* The explanation of one text's result: senti_explain with a buffer grown to fit. */
static int explain_run(ModelObject *self, const text_view *tv, senti_result *r, senti_contribution **cs,
                       size_t *n) {
    size_t cap = 64;
    for (;;) {
        senti_contribution *c = PyMem_Calloc(cap, sizeof *c);
        if (!c) return PyErr_NoMemory(), -1;
        int rc;
        Py_BEGIN_ALLOW_THREADS
        rc = senti_explain(self->m, NULL, tv->p, tv->n, r, c, cap, n);
        Py_END_ALLOW_THREADS
        if (rc) {
            PyMem_Free(c);
            return raise_status(rc, rc == SENTI_ENOTSUP ? "this model kind has no explanations" : NULL), -1;
        }
        if (*n <= cap) return *cs = c, 0;
        PyMem_Free(c);
        cap = *n;
    }
}

/* _explain(text) -> (Result, utf8 bytes, [(start, end, order, flags, logits), ...]) */
static PyObject *model_explain(ModelObject *self, PyObject *text) {
    if (model_enter(self)) return NULL;
    text_view tv;
    PyObject *out = NULL;
    if (text_get(text, self->max_text, &tv)) goto leave;
    senti_result r;
    senti_contribution *cs = NULL;
    size_t n = 0;
    if (explain_run(self, &tv, &r, &cs, &n) == 0) {
        int nl = r.n_classes == 2 ? 1 : r.n_classes;
        PyObject *lst = PyList_New(0), *res = result_new(self, &r, tv.cut);
        for (size_t i = 0; lst && i < n; i++) {
            PyObject *t = contrib_tuple(&cs[i], nl);
            if (!t || PyList_Append(lst, t) < 0) Py_CLEAR(lst);
            Py_XDECREF(t);
        }
        if (lst && res) out = PyTuple_Pack(3, res, tv.keep, lst);
        Py_XDECREF(lst), Py_XDECREF(res);
        PyMem_Free(cs);
    }
    Py_DECREF(tv.keep);
leave:
    model_leave(self);
    return out;
}

/* ---- Model: the C baseline of the benchmark --------------------------------------------- */

/* _c_loop(texts) -> seconds: one pass of senti_predict over the texts (encoded beforehand,
 * one context, the GIL released), timed in C. bench/python_bench.py interleaves it with
 * passes of predict() in the same process to measure the binding's own cost per call. */
static PyObject *model_c_loop(ModelObject *self, PyObject *texts) {
    if (model_enter(self)) return NULL;
    PyObject *list = PySequence_List(texts), *out = NULL;
    Py_ssize_t n = list ? PyList_Size(list) : 0;
    batch_chunk c[2] = {{0}, {0}};
    if (list && chunks_alloc(c, self->m, n + 1, 1) == 0 && chunk_encode(self, list, &c[0], 0, n) == 0) {
        senti_ctx *ctx = ctx_take(self);
        struct timespec a, b;
        Py_BEGIN_ALLOW_THREADS
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (Py_ssize_t i = 0; i < n; i++) senti_predict(self->m, ctx, c[0].texts[i].ptr, c[0].texts[i].len, &c[0].res[i]);
        clock_gettime(CLOCK_MONOTONIC, &b);
        Py_END_ALLOW_THREADS
        ctx_give(self, ctx);
        out = PyFloat_FromDouble((double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9);
    }
    chunks_free(c);
    Py_XDECREF(list);
    model_leave(self);
    return out;
}

/* ---- Model: properties ----------------------------------------------------------------- */

static int open_or_raise(ModelObject *self) {
    if (self->m && !self->closing) return 0;
    PyErr_SetString(PyExc_ValueError, "the model is closed");
    return -1;
}

static PyObject *cstr_or_none(const char *s) {
    if (!s) Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

static PyObject *model_kind(ModelObject *self, void *c) {
    (void)c;
    return open_or_raise(self) ? NULL : cstr_or_none(senti_model_kind(self->m));
}
static PyObject *model_labels(ModelObject *self, void *c) {
    (void)c;
    if (open_or_raise(self)) return NULL;
    Py_INCREF(self->labels);
    return self->labels;
}
static PyObject *model_value_names(ModelObject *self, void *c) {
    (void)c;
    if (open_or_raise(self)) return NULL;
    Py_INCREF(self->value_names);
    return self->value_names;
}
static PyObject *model_path(ModelObject *self, void *c) {
    (void)c;
    return open_or_raise(self) ? NULL : cstr_or_none(senti_model_path(self->m));
}
static PyObject *model_size(ModelObject *self, void *c) {
    (void)c;
    return open_or_raise(self) ? NULL : PyLong_FromUnsignedLongLong(senti_model_size(self->m));
}
static PyObject *model_digest(ModelObject *self, void *c) {
    (void)c;
    return open_or_raise(self) ? NULL : cstr_or_none(senti_model_digest(self->m));
}
static PyObject *model_closed(ModelObject *self, void *c) {
    (void)c;
    return PyBool_FromLong(!self->m || self->closing);
}
static PyObject *model_metadata(ModelObject *self, void *c) {
    (void)c;
    if (open_or_raise(self)) return NULL;
    PyObject *d = PyDict_New();
    for (int i = 0; d && i < senti_model_meta_count(self->m); i++) {
        const char *k = senti_model_meta_key(self->m, i);
        PyObject *ks = cstr_or_none(k), *vs = cstr_or_none(senti_model_meta(self->m, k));
        if (!ks || !vs || PyDict_SetItem(d, ks, vs) < 0) Py_CLEAR(d);
        Py_XDECREF(ks), Py_XDECREF(vs);
    }
    return d;
}

static PyGetSetDef model_getset[] = {
    {"kind", (getter)model_kind, NULL, "the model kind: 'linear', 'vader', ...", NULL},
    {"labels", (getter)model_labels, NULL, "the labels, in the order of Result.index", NULL},
    {"value_names", (getter)model_value_names, NULL, "names of the model's own values "
     "(VADER: neg, neu, pos, compound)", NULL},
    {"path", (getter)model_path, NULL, "the file or folder read (None for the embedded model)", NULL},
    {"size", (getter)model_size, NULL, "bytes that determine the model's answers", NULL},
    {"digest", (getter)model_digest, NULL, "XXH3-128 of those bytes, 32 hex digits", NULL},
    {"metadata", (getter)model_metadata, NULL, "the model's metadata (a new dict of str)", NULL},
    {"closed", (getter)model_closed, NULL, "True after close()", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyMethodDef model_methods[] = {
    {"predict", (PyCFunction)model_predict, METH_O,
     "predict(text) -> Result\n\nScore one text (str or bytes); the GIL is released while scoring."},
    {"values", (PyCFunction)model_values, METH_O,
     "values(text) -> dict\n\nThe model's own named values for one text (VADER: neg, neu, pos, "
     "compound), the fastest call when that is all you need."},
    {"predict_batch", (PyCFunction)(void (*)(void))model_predict_batch, METH_VARARGS | METH_KEYWORDS,
     "predict_batch(texts, threads=0) -> list of Result\n\n"
     "Score any iterable of str or bytes (a list, a numpy object array, a pandas Series) with\n"
     "the library's threads (0: all cores), the GIL released. Order is kept. (_columns=True:\n"
     "(labels, bytearray of doubles, number of columns), which senti.Model turns into arrays.)"},
    {"_explain", (PyCFunction)model_explain, METH_O,
     "_explain(text) -> (Result, utf8 bytes, [(start, end, order, flags, logits)]); see explain()"},
    {"_c_loop", (PyCFunction)model_c_loop, METH_O,
     "_c_loop(texts) -> seconds of one pass of the C call over texts (the benchmark's baseline)"},
    {"close", (PyCFunction)model_close, METH_NOARGS,
     "close(): free the model (deferred to the end of calls in flight in other threads)"},
    {"__enter__", (PyCFunction)model_enter_ctx, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)model_exit_ctx, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyType_Slot model_slots[] = {
    {Py_tp_dealloc, model_dealloc}, {Py_tp_init, model_init}, {Py_tp_new, PyType_GenericNew},
    {Py_tp_getset, model_getset}, {Py_tp_methods, model_methods},
    {Py_tp_doc, "Model(spec=None, *, max_text_bytes=0, max_tokens=0, lexicon_dir=None, read=False)"},
    {0, NULL}};
static PyType_Spec model_spec = {"senti._senti.Model", sizeof(ModelObject), 0,
                                 Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, model_slots};

/* ---- training -------------------------------------------------------------------------- */

typedef struct {
    PyObject *keep; /* list of the bytes objects */
    const char **texts;
    size_t *lens;
    int *labels;
    float *weights;
    size_t n;
} train_data;

static void train_data_free(train_data *t) {
    Py_XDECREF(t->keep);
    PyMem_Free(t->texts), PyMem_Free(t->lens), PyMem_Free(t->labels), PyMem_Free(t->weights);
}

static int train_item(train_data *t, size_t i, PyObject *text, PyObject *label, PyObject *w) {
    text_view tv;
    if (text_get(text, SENTI_DEFAULT_MAX_TEXT_BYTES, &tv)) return -1;
    int rc = PyList_Append(t->keep, tv.keep);
    Py_DECREF(tv.keep);
    if (rc) return -1;
    t->texts[i] = tv.p, t->lens[i] = tv.n;
    long y = PyLong_AsLong(label);
    if (y == -1 && PyErr_Occurred()) return -1;
    if (y < 0 || y >= SENTI_MAX_CLASSES) return PyErr_Format(PyExc_ValueError, "label %ld out of range", y), -1;
    t->labels[i] = (int)y;
    if (w) {
        double d = PyFloat_AsDouble(w);
        if (d == -1.0 && PyErr_Occurred()) return -1;
        t->weights[i] = (float)d;
    }
    return 0;
}

/* texts, labels (ints) and weights (floats or None) -> arrays for senti__train_set */
static int train_data_get(PyObject *texts, PyObject *labels, PyObject *weights, train_data *t) {
    memset(t, 0, sizeof *t);
    PyObject *tl = PySequence_List(texts), *ll = PySequence_List(labels);
    PyObject *wl = weights == Py_None ? NULL : PySequence_List(weights);
    int rc = -1;
    if (!tl || !ll || (weights != Py_None && !wl)) goto done;
    Py_ssize_t n = PyList_Size(tl);
    if (PyList_Size(ll) != n || (wl && PyList_Size(wl) != n)) {
        PyErr_SetString(PyExc_ValueError, "texts, labels and weights differ in length");
        goto done;
    }
    t->n = (size_t)n;
    t->keep = PyList_New(0);
    t->texts = PyMem_Calloc(t->n + 1, sizeof *t->texts), t->lens = PyMem_Calloc(t->n + 1, sizeof *t->lens);
    t->labels = PyMem_Calloc(t->n + 1, sizeof *t->labels);
    t->weights = wl ? PyMem_Calloc(t->n + 1, sizeof *t->weights) : NULL;
    if (!t->keep || !t->texts || !t->lens || !t->labels || (wl && !t->weights)) {
        if (t->keep) PyErr_NoMemory();
        goto done;
    }
    rc = 0;
    for (Py_ssize_t i = 0; !rc && i < n; i++)
        rc = train_item(t, (size_t)i, PyList_GetItem(tl, i), PyList_GetItem(ll, i), wl ? PyList_GetItem(wl, i) : NULL);
done:
    Py_XDECREF(tl), Py_XDECREF(ll), Py_XDECREF(wl);
    return rc;
}

/* label names: a sequence of 2..SENTI_MAX_CLASSES str -> UTF-8 pointers into keep */
static int train_labels(PyObject *names, PyObject *keep, const char **out, int *n) {
    PyObject *l = PySequence_List(names);
    if (!l) return -1;
    *n = (int)PyList_Size(l);
    int rc = *n < 2 || *n > SENTI_MAX_CLASSES ? -1 : 0;
    if (rc) PyErr_Format(PyExc_ValueError, "2 to %d classes, not %d", SENTI_MAX_CLASSES, *n);
    for (int i = 0; !rc && i < *n; i++) {
        PyObject *b = PyUnicode_AsUTF8String(PyList_GetItem(l, i));
        rc = b && PyList_Append(keep, b) == 0 ? 0 : -1;
        if (!rc) out[i] = PyBytes_AsString(b);
        Py_XDECREF(b);
    }
    Py_DECREF(l);
    return rc;
}

static PyObject *train_report(const senti__train_report *r) {
    return Py_BuildValue("{s:n,s:n,s:i,s:i,s:d,s:d,s:d,s:d,s:d}", "n_train", (Py_ssize_t)r->n_train,
                         "n_valid", (Py_ssize_t)r->n_valid, "epochs_run", r->epochs_run, "best_epoch",
                         r->best_epoch, "valid_accuracy", r->valid_accuracy, "valid_loss", r->valid_loss,
                         "train_loss", r->train_loss, "valid_accuracy_quantized",
                         r->valid_accuracy_quantized, "temperature", r->temperature);
}

static PyObject *mod_train(PyObject *mod, PyObject *args, PyObject *kw) {
    (void)mod;
    static char *kwlist[] = {"texts", "labels", "label_names", "path", "weights", "bits", "ngram",
                             "negation", "bounds", "norm", "mentions", "epochs", "patience", "lr",
                             "l2", "seed", "threads", "valid_fraction", "quantize", "calibrate", "nb",
                             "ensemble", NULL};
    PyObject *texts, *labels, *names, *path, *weights = Py_None;
    senti__train_opts o = {.fp = {20, 2, 1, 1, 0, 0, 0}, .epochs = 10, .patience = 3, .lr = 0.05,
                           .l2 = 1e-4, .seed = 1, .valid_fraction = 0.05, .quantize = 1,
                           .max_tokens = SENTI_DEFAULT_MAX_TOKENS, .ensemble = 1};
    unsigned long long seed = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOO|$OIIIIIIiiddKidiidi", kwlist, &texts, &labels,
                                     &names, &path, &weights, &o.fp.bits, &o.fp.ngram, &o.fp.negation,
                                     &o.fp.bounds, &o.fp.norm, &o.fp.mentions, &o.epochs, &o.patience,
                                     &o.lr, &o.l2, &seed, &o.threads, &o.valid_fraction, &o.quantize,
                                     &o.calibrate, &o.nb, &o.ensemble))
        return NULL;
    o.seed = seed;
    if (o.threads <= 0) o.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (o.threads <= 0) o.threads = 1;
    train_data t = {0};
    const char *lab[SENTI_MAX_CLASSES];
    PyObject *pb = spec_bytes(path), *out = NULL;
    if (!pb || train_data_get(texts, labels, weights, &t) || train_labels(names, t.keep, lab, &o.n_classes))
        goto done;
    o.labels = lab;
    senti__train_set ts = {t.n, t.texts, t.lens, t.labels, t.weights};
    senti__train_report rep = {0};
    char err[ERR_SIZE] = "";
    const char *meta[] = {"name", "senti-python"};
    const char *p = PyBytes_AsString(pb);
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = senti__linear_train(&ts, NULL, &o, p, meta, 1, &rep, NULL, NULL, err, sizeof err);
    Py_END_ALLOW_THREADS
    out = rc ? raise_status(rc, err) : train_report(&rep);
done:
    train_data_free(&t);
    Py_XDECREF(pb);
    return out;
}

/* ---- module ---------------------------------------------------------------------------- */

static PyObject *mod_version(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    return PyUnicode_FromString(senti_version());
}

static PyObject *mod_kinds(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    PyObject *l = PyList_New(0);
    for (int i = 0; l && i < senti_kind_count(); i++) {
        PyObject *t = Py_BuildValue("(ss)", senti_kind_name(i), senti_kind_help(i));
        if (!t || PyList_Append(l, t) < 0) Py_CLEAR(l);
        Py_XDECREF(t);
    }
    return l;
}

static PyObject *mod_memory_stats(PyObject *m, PyObject *u) {
    (void)m, (void)u;
    senti_memory_stats s;
    senti_memory_stats_get(&s);
    return Py_BuildValue("{s:K,s:K,s:K,s:K}", "current_bytes", (unsigned long long)s.current_bytes,
                         "peak_bytes", (unsigned long long)s.peak_bytes, "allocations",
                         (unsigned long long)s.allocations, "frees", (unsigned long long)s.frees);
}

static PyMethodDef mod_methods[] = {
    {"version", mod_version, METH_NOARGS, "version() -> str: the library's version"},
    {"kinds", mod_kinds, METH_NOARGS, "kinds() -> [(name, help)]: the model kinds"},
    {"memory_stats", mod_memory_stats, METH_NOARGS,
     "memory_stats() -> dict: the library's heap (current_bytes, peak_bytes, allocations, frees)"},
    {"train", (PyCFunction)(void (*)(void))mod_train, METH_VARARGS | METH_KEYWORDS,
     "train(texts, labels, label_names, path, **options) -> report dict: train a linear model "
     "into path (see senti.sklearn.SentiClassifier for the options)"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef mod_def = {PyModuleDef_HEAD_INIT, "senti._senti",
                                     "libsenti's C API for the senti package", -1, mod_methods,
                                     NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__senti(void) {
    PyObject *mod = PyModule_Create(&mod_def);
    if (!mod) return NULL;
    ModelError = PyErr_NewExceptionWithDoc("senti.ModelError",
                                           "A model could not be opened or used; .status and "
                                           ".status_name give the library's status.",
                                           NULL, NULL);
    ResultType = (PyTypeObject *)PyType_FromSpec(&result_spec);
    PyObject *model_type = PyType_FromSpec(&model_spec);
    if (!ModelError || !ResultType || !model_type) goto fail;
    Py_INCREF(ModelError), Py_INCREF(ResultType);
    if (PyModule_AddObject(mod, "ModelError", ModelError) < 0 ||
        PyModule_AddObject(mod, "Result", (PyObject *)ResultType) < 0 ||
        PyModule_AddObject(mod, "Model", model_type) < 0 ||
        PyModule_AddIntConstant(mod, "MAX_TEXT_BYTES", SENTI_DEFAULT_MAX_TEXT_BYTES) < 0)
        goto fail;
    return mod;
fail:
    Py_XDECREF(model_type);
    Py_DECREF(mod);
    return NULL;
}
