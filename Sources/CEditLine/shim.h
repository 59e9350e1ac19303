// libedit for the serial console. Swift cannot call C variadic functions (el_set, el_get,
// history), so each call the console needs has a fixed-argument wrapper here.
#include <stdio.h>
#include <histedit.h>

typedef char *(*cedit_prompt_fn)(EditLine *);
typedef unsigned char (*cedit_command_fn)(EditLine *, int);

static inline int cedit_set_prompt(EditLine *el, cedit_prompt_fn fn) { return el_set(el, EL_PROMPT, fn); }
static inline int cedit_set_editor(EditLine *el, const char *mode) { return el_set(el, EL_EDITOR, mode); }
static inline int cedit_set_signal(EditLine *el, int on) { return el_set(el, EL_SIGNAL, on); }
static inline int cedit_set_clientdata(EditLine *el, void *data) { return el_set(el, EL_CLIENTDATA, data); }
static inline void *cedit_get_clientdata(EditLine *el) {
    void *data = NULL;
    el_get(el, EL_CLIENTDATA, &data);
    return data;
}
static inline int cedit_add_function(EditLine *el, const char *name, const char *help, cedit_command_fn fn) {
    return el_set(el, EL_ADDFN, name, help, fn);
}
static inline int cedit_bind(EditLine *el, const char *key, const char *function) {
    return el_set(el, EL_BIND, key, function, NULL);
}
static inline int cedit_set_history(EditLine *el, History *h) { return el_set(el, EL_HIST, history, h); }
static inline int cedit_history_size(History *h, int size) {
    HistEvent ev;
    return history(h, &ev, H_SETSIZE, size);
}
static inline int cedit_history_enter(History *h, const char *line) {
    HistEvent ev;
    return history(h, &ev, H_ENTER, line);
}

// The console's own read function (EL_GETCFN): it waits on the device and on the pipe that
// announces asynchronous output, and decodes UTF-8 itself.
static inline int cedit_set_getcfn(EditLine *el, el_rfunc_t fn) { return el_set(el, EL_GETCFN, fn); }
// Redraws the prompt and the line from scratch, the cursor where it was (EL_REFRESH).
static inline int cedit_refresh(EditLine *el) { return el_set(el, EL_REFRESH); }
// The terminal width libedit wraps at ("co"), 0 when unknown.
static inline int cedit_columns(EditLine *el) {
    int columns = 0;
    if (el_get(el, EL_GETTC, "co", &columns, NULL) != 0) return 0;
    return columns;
}
