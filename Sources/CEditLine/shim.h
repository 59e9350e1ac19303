// libedit for the serial console, loaded when the console starts (not at exec: a phone without
// a serial console never maps libedit and the libraries it pulls in, libtinfo, libbsd and
// libmd — 368 kB resident and four more libraries to relocate at every start, issue 16).
// `cedit_bind_library` fills a table of the functions from the dlopen'd library with the header's own
// prototypes. Swift cannot call C variadic functions (el_set, el_get, history), so each call
// the console needs has a fixed-argument wrapper here, taking the table.
#include <stdio.h>
#include <dlfcn.h>
#include <stddef.h>
#include <histedit.h>

#define CEDIT_FUNCTION(name) __typeof__(name) *_Nonnull name

typedef struct {
    CEDIT_FUNCTION(el_init);
    CEDIT_FUNCTION(el_end);
    CEDIT_FUNCTION(el_gets);
    CEDIT_FUNCTION(el_line);
    CEDIT_FUNCTION(el_deletestr);
    CEDIT_FUNCTION(el_insertstr);
    CEDIT_FUNCTION(el_set);
    CEDIT_FUNCTION(el_get);
    CEDIT_FUNCTION(history_init);
    CEDIT_FUNCTION(history_end);
    CEDIT_FUNCTION(history);
} cedit_library;

/// Fills `library` from the dlopen'd `handle`: NULL, or the name of the first function missing.
static inline const char *_Nullable cedit_bind_library(void *_Nonnull handle, cedit_library *_Nonnull library) {
#define CEDIT_BIND(name) if ((*(void **)&library->name = dlsym(handle, #name)) == NULL) return #name;
    CEDIT_BIND(el_init)
    CEDIT_BIND(el_end)
    CEDIT_BIND(el_gets)
    CEDIT_BIND(el_line)
    CEDIT_BIND(el_deletestr)
    CEDIT_BIND(el_insertstr)
    CEDIT_BIND(el_set)
    CEDIT_BIND(el_get)
    CEDIT_BIND(history_init)
    CEDIT_BIND(history_end)
    CEDIT_BIND(history)
#undef CEDIT_BIND
    return NULL;
}

typedef char *(*cedit_prompt_fn)(EditLine *);
typedef unsigned char (*cedit_command_fn)(EditLine *, int);

static inline int cedit_set_prompt(const cedit_library *_Nonnull lib, EditLine *el, cedit_prompt_fn fn) { return lib->el_set(el, EL_PROMPT, fn); }
static inline int cedit_set_editor(const cedit_library *_Nonnull lib, EditLine *el, const char *mode) { return lib->el_set(el, EL_EDITOR, mode); }
static inline int cedit_set_signal(const cedit_library *_Nonnull lib, EditLine *el, int on) { return lib->el_set(el, EL_SIGNAL, on); }
static inline int cedit_set_clientdata(const cedit_library *_Nonnull lib, EditLine *el, void *data) { return lib->el_set(el, EL_CLIENTDATA, data); }
static inline void *cedit_get_clientdata(const cedit_library *_Nonnull lib, EditLine *el) {
    void *data = NULL;
    lib->el_get(el, EL_CLIENTDATA, &data);
    return data;
}
static inline int cedit_add_function(const cedit_library *_Nonnull lib, EditLine *el, const char *name, const char *help, cedit_command_fn fn) {
    return lib->el_set(el, EL_ADDFN, name, help, fn);
}
static inline int cedit_bind(const cedit_library *_Nonnull lib, EditLine *el, const char *key, const char *function) {
    return lib->el_set(el, EL_BIND, key, function, NULL);
}
static inline int cedit_set_history(const cedit_library *_Nonnull lib, EditLine *el, History *h) { return lib->el_set(el, EL_HIST, lib->history, h); }
static inline int cedit_history_size(const cedit_library *_Nonnull lib, History *h, int size) {
    HistEvent ev;
    return lib->history(h, &ev, H_SETSIZE, size);
}
static inline int cedit_history_enter(const cedit_library *_Nonnull lib, History *h, const char *line) {
    HistEvent ev;
    return lib->history(h, &ev, H_ENTER, line);
}

// The console's own read function (EL_GETCFN): it waits on the device and on the pipe that
// announces asynchronous output, and decodes UTF-8 itself.
static inline int cedit_set_getcfn(const cedit_library *_Nonnull lib, EditLine *el, el_rfunc_t fn) { return lib->el_set(el, EL_GETCFN, fn); }
// Redraws the prompt and the line from scratch, the cursor where it was (EL_REFRESH).
static inline int cedit_refresh(const cedit_library *_Nonnull lib, EditLine *el) { return lib->el_set(el, EL_REFRESH); }
// The terminal width libedit wraps at ("co"), 0 when unknown.
static inline int cedit_columns(const cedit_library *_Nonnull lib, EditLine *el) {
    int columns = 0;
    if (lib->el_get(el, EL_GETTC, "co", &columns, NULL) != 0) return 0;
    return columns;
}
