/* audit.c - the submission audit: includes, inline assembly, sections, definitions and
 * calls. */
#include "engine/audit.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_TEXT (16L << 20) /* bytes read from one .s or .d file, at most */

/* ---- a set of names ------------------------------------------------------ */

/* A sorted set of strings (owned), searched with bsearch. */
struct names {
    char **v;
    size_t n, cap;
    bool sorted;
};

static int names_add(struct names *s, const char *name, size_t len)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        char **v = realloc(s->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    char *copy = strndup(name, len);
    if (copy == NULL)
        return -1;
    s->v[s->n++] = copy;
    s->sorted = false;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool names_has(struct names *s, const char *name)
{
    if (s->n == 0)
        return false;
    if (!s->sorted) {
        qsort(s->v, s->n, sizeof *s->v, cmp_str);
        s->sorted = true;
    }
    return bsearch(&name, s->v, s->n, sizeof *s->v, cmp_str) != NULL;
}

static void names_free(struct names *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* Add every white-space separated word of text (up to '#' on each line). */
static int names_add_words(struct names *s, const char *text)
{
    const char *p = text;
    while (p != NULL && *p != '\0') {
        if (*p == '#') {
            p = strchr(p, '\n');
            continue;
        }
        if (isspace((unsigned char)*p)) {
            p++;
            continue;
        }
        size_t len = 0;
        while (p[len] != '\0' && !isspace((unsigned char)p[len]) && p[len] != '#')
            len++;
        if (names_add(s, p, len) < 0)
            return -1;
        p += len;
    }
    return 0;
}

/* ---- files ---------------------------------------------------------------- */

/*
 * The contents of a regular file (not a link, FIFO or device), at most
 * MAX_TEXT bytes, NUL-terminated; NULL with errno set otherwise. The build
 * ran in the sandbox, so nothing here is trusted to be what its name says.
 */
static char *read_text(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) < 0)
        goto fail;
    if (!S_ISREG(st.st_mode) || st.st_size > MAX_TEXT) {
        errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
        goto fail;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL)
        goto fail;
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    close(fd);
    return buf;
fail:
    free(buf);
    close(fd);
    return NULL;
}

/* ---- findings ------------------------------------------------------------- */

static int add(struct audit *a, bool refused, const char *file, int line, const char *fmt,
               ...) __attribute__((format(printf, 5, 6)));

/* Append a finding; -1 (errno ENOMEM) when memory runs out. */
static int add(struct audit *a, bool refused, const char *file, int line, const char *fmt,
               ...)
{
    struct audit_finding *f = realloc(a->f, (a->n + 1) * sizeof *f);
    if (f == NULL)
        return -1;
    a->f = f;
    f = &a->f[a->n];
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&f->what, fmt, ap);
    va_end(ap);
    f->file = strdup(file);
    if (r < 0 || f->file == NULL) {
        if (r >= 0)
            free(f->what);
        free(f->file);
        errno = ENOMEM;
        return -1;
    }
    f->line = line;
    f->refused = refused;
    a->n++;
    return 0;
}

/* ---- includes (NAME.d) ---------------------------------------------------- */

/* True if path is dir itself or lies below it. */
static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static bool system_header(const char *path)
{
    static const char *const dirs[] = {"/usr/include", "/usr/local/include",
                                       "/usr/lib/gcc", "/usr/lib/llvm", NULL};
    if (strstr(path, "/../") != NULL)
        return false;
    for (int i = 0; dirs[i] != NULL; i++)
        if (under(path, dirs[i]))
            return true;
    return false;
}

/*
 * Check every file the compiler read for file (its dependency file lists
 * them: "target: dep dep \" with "\ " for a space in a name).
 */
static int check_includes(const struct audit_input *in, const char *file,
                          const char *dpath, struct audit *a)
{
    char *text = read_text(dpath);
    if (text == NULL)
        return add(a, true, file, 0,
                   "the compiler's list of the files %s includes is missing (%s)", file,
                   strerror(errno));
    int rc = 0;
    char dep[4096];
    size_t len = 0;
    bool seen_self = false;
    for (const char *p = text;; p++) {
        if (*p == '\\' && p[1] == '\n') {
            p++;
            continue;
        }
        if (*p == '\\' && p[1] == ' ') {
            if (len < sizeof dep - 1)
                dep[len++] = ' ';
            p++;
            continue;
        }
        if (*p != '\0' && !isspace((unsigned char)*p)) {
            if (len < sizeof dep - 1)
                dep[len++] = *p;
            continue;
        }
        dep[len] = '\0';
        /* A word ending in ':' is a target, not something the compiler read. */
        if (len > 0 && dep[len - 1] != ':') {
            const char *base = strrchr(dep, '/');
            base = base ? base + 1 : dep;
            /* The compiler lists the file it compiles first, then what it included. */
            bool self = !seen_self && strcmp(base, file) == 0;
            seen_self = true;
            bool ok = self || system_header(dep) ||
                      (under(dep, in->include_dir) && strstr(dep, "/../") == NULL);
            if (!ok) {
                rc = add(a, true, file, 0,
                         "%s includes '%s': a submission may include only system headers "
                         "and the lab's include/ headers",
                         file, dep);
                if (rc < 0)
                    break;
            }
        }
        len = 0;
        if (*p == '\0')
            break;
    }
    free(text);
    return rc;
}

/* ---- inline assembly (NAME.s) --------------------------------------------- */

/*
 * GCC brackets the text of every asm statement, in a function or at file
 * scope, with "#APP" and "#NO_APP" lines in its assembly output; the last
 * ".loc FILE LINE" before it says where it came from.
 */
static int check_asm(const char *file, const char *spath, struct audit *a)
{
    char *text = read_text(spath);
    if (text == NULL)
        return add(a, true, file, 0, "the compiler's assembly for %s is missing (%s)",
                   file, strerror(errno));
    int rc = 0, line = 0;
    char func[128] = "";
    char reported[128] = "\001";
    for (char *p = text; p != NULL && *p != '\0';) {
        char *nl = strchr(p, '\n');
        if (nl != NULL)
            *nl = '\0';
        int fileno, l;
        if (sscanf(p, "\t.loc %d %d", &fileno, &l) == 2)
            line = l;
        else if (isalpha((unsigned char)p[0]) || p[0] == '_') {
            size_t n = strcspn(p, ":");
            if (p[n] == ':' && p[n + 1] == '\0' && n < sizeof func)
                snprintf(func, sizeof func, "%.*s", (int)n, p);
        } else if (strcmp(p, "#APP") == 0 && strcmp(func, reported) != 0) {
            snprintf(reported, sizeof reported, "%s", func);
            /* GCC follows #APP with the statement's own place: # LINE "FILE" 1 */
            if (nl != NULL && sscanf(nl + 1, "# %d \"", &l) == 1)
                line = l;
            if (func[0] != '\0')
                rc = add(a, true, file, line,
                         "inline assembly in %s() (line %d): not allowed in a submission "
                         "(use C11 atomics or a compiler builtin such as "
                         "__builtin_ia32_pause)",
                         func, line);
            else
                rc = add(a, true, file, line,
                         "inline assembly at file scope: not allowed in a submission");
            if (rc < 0)
                break;
        }
        p = nl ? nl + 1 : NULL;
    }
    free(text);
    return rc;
}

/* ---- ELF objects ---------------------------------------------------------- */

/* Sections a compiled C file may have: code, data, debug information. */
static bool ordinary_section(const char *name)
{
    static const char *const exact[] = {"",
                                        ".text",
                                        ".data",
                                        ".bss",
                                        ".rodata",
                                        ".comment",
                                        ".eh_frame",
                                        ".note.GNU-stack",
                                        ".symtab",
                                        ".strtab",
                                        ".shstrtab",
                                        ".group",
                                        ".tbss",
                                        ".tdata",
                                        ".data.rel.ro",
                                        ".data.rel",
                                        ".data.rel.local",
                                        ".data.rel.ro.local",
                                        ".gcc_except_table",
                                        ".note.gnu.property",
                                        NULL};
    static const char *const prefix[] = {".text.", ".data.",  ".bss.",   ".rodata.",
                                         ".tbss.", ".tdata.", ".debug_", NULL};
    if (strncmp(name, ".rela", 5) == 0 && name[5] != '\0')
        return ordinary_section(name + 5);
    for (int i = 0; exact[i] != NULL; i++)
        if (strcmp(name, exact[i]) == 0)
            return true;
    for (int i = 0; prefix[i] != NULL; i++)
        if (strncmp(name, prefix[i], strlen(prefix[i])) == 0)
            return strstr(name, "init_array") == NULL &&
                   strstr(name, "fini_array") == NULL;
    return false;
}

/* What a refused section would do, for the message. */
static const char *section_meaning(const char *name, unsigned type)
{
    if (type == SHT_INIT_ARRAY || type == SHT_PREINIT_ARRAY || strstr(name, "init") ||
        strstr(name, "ctors"))
        return "code that runs before any test (a constructor)";
    if (type == SHT_FINI_ARRAY || strstr(name, "fini") || strstr(name, "dtors"))
        return "code that runs after the tests (a destructor)";
    if (strncmp(name, "cr_", 3) == 0 || strncmp(name, "crit", 4) == 0)
        return "a Criterion test or report hook";
    return "a section the compiler does not make from ordinary C";
}

/* An open ELF relocatable object. */
struct object {
    int fd;
    Elf *elf;
    size_t shstrndx;
};

static int object_open(struct object *o, const char *path)
{
    o->elf = NULL;
    o->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (o->fd < 0)
        return -1;
    struct stat st;
    if (fstat(o->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(o->fd);
        errno = EINVAL;
        return -1;
    }
    o->elf = elf_begin(o->fd, ELF_C_READ, NULL);
    GElf_Ehdr eh;
    if (o->elf == NULL || elf_kind(o->elf) != ELF_K_ELF ||
        gelf_getehdr(o->elf, &eh) == NULL || eh.e_type != ET_REL ||
        elf_getshdrstrndx(o->elf, &o->shstrndx) != 0) {
        if (o->elf != NULL)
            elf_end(o->elf);
        close(o->fd);
        errno = ENOEXEC;
        return -1;
    }
    return 0;
}

static void object_close(struct object *o)
{
    elf_end(o->elf);
    close(o->fd);
}

/* The object's symbol table section, or NULL. */
static Elf_Scn *symtab_of(struct object *o, GElf_Shdr *sh)
{
    for (Elf_Scn *s = elf_nextscn(o->elf, NULL); s != NULL; s = elf_nextscn(o->elf, s))
        if (gelf_getshdr(s, sh) != NULL && sh->sh_type == SHT_SYMTAB)
            return s;
    return NULL;
}

/* A symbol that binds across objects: global, weak or unique. */
static bool binds_out(const GElf_Sym *s)
{
    int b = GELF_ST_BIND(s->st_info);
    return b == STB_GLOBAL || b == STB_WEAK || b == STB_GNU_UNIQUE;
}

/* Add the object's defined (defs) and referenced (refs) global names. */
static int object_names(const char *path, struct names *defs, struct names *refs)
{
    struct object o;
    if (object_open(&o, path) < 0)
        return 0; /* not an object: nothing to learn from it */
    GElf_Shdr sh;
    Elf_Scn *scn = symtab_of(&o, &sh);
    Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
    size_t n = d && sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
    int rc = 0;
    for (size_t i = 1; i < n && rc == 0; i++) {
        GElf_Sym s;
        const char *name;
        if (gelf_getsym(d, (int)i, &s) == NULL || !binds_out(&s) ||
            (name = elf_strptr(o.elf, sh.sh_link, s.st_name)) == NULL || name[0] == '\0')
            continue;
        struct names *to = s.st_shndx == SHN_UNDEF ? refs : defs;
        if (to != NULL)
            rc = names_add(to, name, strlen(name));
    }
    object_close(&o);
    return rc;
}

/* The function of the object's symbol table that holds offset in section shndx. */
static const char *function_at(struct object *o, Elf_Data *d, const GElf_Shdr *sh,
                               size_t shndx, GElf_Addr offset)
{
    size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
    for (size_t i = 1; i < n; i++) {
        GElf_Sym s;
        if (gelf_getsym(d, (int)i, &s) != NULL && GELF_ST_TYPE(s.st_info) == STT_FUNC &&
            s.st_shndx == shndx && offset >= s.st_value &&
            offset < s.st_value + s.st_size)
            return elf_strptr(o->elf, sh->sh_link, s.st_name);
    }
    return NULL;
}

/*
 * Who calls symbol index sym: the first function whose code refers to it
 * (from the relocations of executable sections), or NULL.
 */
static const char *caller_of(struct object *o, Elf_Data *symd, const GElf_Shdr *symsh,
                             size_t sym)
{
    for (Elf_Scn *s = elf_nextscn(o->elf, NULL); s != NULL; s = elf_nextscn(o->elf, s)) {
        GElf_Shdr rsh, tsh;
        if (gelf_getshdr(s, &rsh) == NULL || rsh.sh_type != SHT_RELA)
            continue;
        Elf_Scn *target = elf_getscn(o->elf, rsh.sh_info);
        if (target == NULL || gelf_getshdr(target, &tsh) == NULL ||
            !(tsh.sh_flags & SHF_EXECINSTR))
            continue;
        Elf_Data *rd = elf_getdata(s, NULL);
        size_t n = rd && rsh.sh_entsize ? rsh.sh_size / rsh.sh_entsize : 0;
        for (size_t i = 0; i < n; i++) {
            GElf_Rela r;
            if (gelf_getrela(rd, (int)i, &r) != NULL && GELF_R_SYM(r.r_info) == sym)
                return function_at(o, symd, symsh, rsh.sh_info, r.r_offset);
        }
    }
    return NULL;
}

/* The rules one audit applies, loaded once. */
struct rules {
    struct names allowed;   /* course list + lab allow, minus lab forbid */
    struct names forbidden; /* the lab's forbid */
    struct names contract;  /* functions the lab's headers declare */
    struct names harness;   /* names the tests and support code define or use */
    struct names libc;      /* names the C library exports */
    struct names student;   /* globals every student object defines */
    struct names called;    /* names the student objects refer to */
};

/* Names reserved for the harness, the C implementation, or a program's start. */
static bool reserved(const char *name)
{
    static const char *const prefix[] = {"cr_",     "criterion_", "json_", "git_",
                                         "bxf_",    "nn_",        "ipct_", "__wrap_",
                                         "__real_", "__",         NULL};
    static const char *const exact[] = {"main",  "_start",  "_init",
                                        "_fini", "environ", NULL};
    for (int i = 0; prefix[i] != NULL; i++)
        if (strncmp(name, prefix[i], strlen(prefix[i])) == 0)
            return true;
    for (int i = 0; exact[i] != NULL; i++)
        if (strcmp(name, exact[i]) == 0)
            return true;
    return false;
}

/* Check one student object's sections and symbols. */
static int check_object(const char *file, const char *opath, struct rules *r,
                        struct audit *a)
{
    struct object o;
    if (object_open(&o, opath) < 0)
        return add(a, true, file, 0,
                   "the compiled object of %s is missing or not an object", file);
    int rc = 0;
    for (Elf_Scn *s = elf_nextscn(o.elf, NULL); s != NULL && rc == 0;
         s = elf_nextscn(o.elf, s)) {
        GElf_Shdr sh;
        const char *name;
        if (gelf_getshdr(s, &sh) == NULL ||
            (name = elf_strptr(o.elf, o.shstrndx, sh.sh_name)) == NULL)
            continue;
        bool bad_type = sh.sh_type == SHT_INIT_ARRAY || sh.sh_type == SHT_FINI_ARRAY ||
                        sh.sh_type == SHT_PREINIT_ARRAY;
        /* A relocation section goes with its target, which is reported itself. */
        bool reloc = sh.sh_type == SHT_RELA || sh.sh_type == SHT_REL;
        if (!reloc && (bad_type || !ordinary_section(name)))
            rc = add(a, true, file, 0, "%s has a section '%s': %s, not allowed", file,
                     name, section_meaning(name, sh.sh_type));
    }
    GElf_Shdr sh;
    Elf_Scn *scn = symtab_of(&o, &sh);
    Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
    size_t n = d && sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
    for (size_t i = 1; i < n && rc == 0; i++) {
        GElf_Sym s;
        const char *name;
        if (gelf_getsym(d, (int)i, &s) == NULL ||
            (name = elf_strptr(o.elf, sh.sh_link, s.st_name)) == NULL)
            continue;
        if (GELF_ST_TYPE(s.st_info) == STT_GNU_IFUNC) {
            rc = add(a, true, file, 0,
                     "%s defines '%s' as an ifunc: its resolver would run when the tests "
                     "load, not allowed",
                     file, name);
            continue;
        }
        if (!binds_out(&s) || name[0] == '\0')
            continue;
        if (s.st_shndx != SHN_UNDEF) {
            if (names_has(&r->contract, name))
                continue;
            if (reserved(name) || names_has(&r->harness, name) ||
                names_has(&r->libc, name) || names_has(&r->allowed, name))
                rc = add(
                    a, true, file, 0,
                    "%s defines '%s', a name the C library or the test harness "
                    "already has: it would replace theirs in the tests too. Rename it "
                    "or make it static",
                    file, name);
            else if (GELF_ST_TYPE(s.st_info) == STT_FUNC)
                rc = add(a, false, file, 0,
                         "%s defines the global function '%s', which is not in the lab's "
                         "header: make it static",
                         file, name);
            continue;
        }
        if (names_has(&r->contract, name) || names_has(&r->student, name) ||
            names_has(&r->allowed, name))
            continue;
        const char *by = caller_of(&o, d, &sh, i);
        char where[160] = "";
        if (by != NULL)
            snprintf(where, sizeof where, " in %s()", by);
        if (names_has(&r->forbidden, name))
            rc = add(a, true, file, 0,
                     "%s calls '%s'%s, which this lab forbids (lab.ini: forbid)", file,
                     name, where);
        else
            rc = add(a, true, file, 0,
                     "%s uses '%s'%s, which is not among the calls a submission may make "
                     "(labs/allowed-calls.txt)",
                     file, name, where);
    }
    object_close(&o);
    return rc;
}

/* ---- loading the rules ---------------------------------------------------- */

/* The C library's exported names, from its dynamic symbol table. */
static int load_libc(struct names *libc)
{
    Dl_info info;
    if (dladdr((void *)&environ, &info) == 0 || info.dli_fname == NULL)
        return 0; /* a static grader: the allowed list and prefixes still apply */
    int fd = open(info.dli_fname, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    int rc = 0;
    for (Elf_Scn *s = e ? elf_nextscn(e, NULL) : NULL; s != NULL && rc == 0;
         s = elf_nextscn(e, s)) {
        GElf_Shdr sh;
        if (gelf_getshdr(s, &sh) == NULL || sh.sh_type != SHT_DYNSYM)
            continue;
        Elf_Data *d = elf_getdata(s, NULL);
        size_t n = d && sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
        for (size_t i = 1; i < n && rc == 0; i++) {
            GElf_Sym sym;
            const char *name;
            if (gelf_getsym(d, (int)i, &sym) != NULL && sym.st_shndx != SHN_UNDEF &&
                (name = elf_strptr(e, sh.sh_link, sym.st_name)) != NULL &&
                name[0] != '\0')
                rc = names_add(libc, name, strlen(name));
        }
    }
    if (e != NULL)
        elf_end(e);
    close(fd);
    return rc;
}

/* Every *.o in dir: add the names they define and use to both sets. */
static int load_dir_names(const char *dir, struct names *defs, struct names *refs)
{
    DIR *dp = opendir(dir);
    if (dp == NULL)
        return 0;
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(dp)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 3 || strcmp(e->d_name + len - 2, ".o") != 0)
            continue;
        char path[4352];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        rc = object_names(path, defs, refs);
    }
    closedir(dp);
    return rc;
}

static int load_rules(const struct audit_input *in, struct rules *r)
{
    char *course = read_text(in->allowed_path);
    if (course == NULL)
        return -1;
    struct names forbid_tmp = {0};
    int rc = names_add_words(&forbid_tmp, in->forbid);
    struct names allowed_all = {0};
    if (rc == 0)
        rc = names_add_words(&allowed_all, course);
    if (rc == 0)
        rc = names_add_words(&allowed_all, in->allow);
    free(course);
    for (size_t i = 0; rc == 0 && i < allowed_all.n; i++)
        if (!names_has(&forbid_tmp, allowed_all.v[i]))
            rc = names_add(&r->allowed, allowed_all.v[i], strlen(allowed_all.v[i]));
    names_free(&allowed_all);
    r->forbidden = forbid_tmp;
    for (size_t i = 0; rc == 0 && in->contract && in->contract[i] != NULL; i++)
        rc = names_add(&r->contract, in->contract[i], strlen(in->contract[i]));
    for (size_t i = 0; rc == 0 && in->harness && in->harness[i] != NULL; i++)
        rc = load_dir_names(in->harness[i], &r->harness, &r->harness);
    if (rc == 0)
        rc = load_libc(&r->libc);
    for (size_t i = 0; rc == 0 && in->files[i] != NULL; i++) {
        char path[4352];
        size_t len = strlen(in->files[i]);
        snprintf(path, sizeof path, "%s/%.*s.o", in->student_dir,
                 (int)(len > 2 ? len - 2 : len), in->files[i]);
        rc = object_names(path, &r->student, &r->called);
    }
    return rc;
}

static void free_rules(struct rules *r)
{
    names_free(&r->allowed);
    names_free(&r->forbidden);
    names_free(&r->contract);
    names_free(&r->harness);
    names_free(&r->libc);
    names_free(&r->student);
    names_free(&r->called);
}

/* ---- the audit ------------------------------------------------------------ */

int audit_run(const struct audit_input *in, struct audit *out)
{
    memset(out, 0, sizeof *out);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (elf_version(EV_CURRENT) == EV_NONE) {
        errno = ENOSYS;
        return -1;
    }
    struct rules r = {0};
    if (load_rules(in, &r) < 0) {
        int err = errno;
        free_rules(&r);
        errno = err;
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && in->files[i] != NULL; i++) {
        const char *file = in->files[i];
        size_t len = strlen(file);
        int stem = (int)(len > 2 && strcmp(file + len - 2, ".c") == 0 ? len - 2 : len);
        char path[4352];
        snprintf(path, sizeof path, "%s/%.*s.d", in->student_dir, stem, file);
        rc = check_includes(in, file, path, out);
        snprintf(path, sizeof path, "%s/%.*s.s", in->student_dir, stem, file);
        if (rc == 0)
            rc = check_asm(file, path, out);
        snprintf(path, sizeof path, "%s/%.*s.o", in->student_dir, stem, file);
        if (rc == 0)
            rc = check_object(file, path, &r, out);
    }
    struct names need = {0};
    if (rc == 0)
        rc = names_add_words(&need, in->require);
    for (size_t i = 0; rc == 0 && i < need.n; i++)
        if (!names_has(&r.called, need.v[i]))
            rc = add(out, true, in->files[0], 0,
                     "this lab requires your code to use '%s' (lab.ini: require), and "
                     "none of your files calls it",
                     need.v[i]);
    names_free(&need);
    free_rules(&r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    out->seconds =
        (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (rc < 0) {
        audit_free(out);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

bool audit_refused(const struct audit *a)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->f[i].refused)
            return true;
    return false;
}

void audit_free(struct audit *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->f[i].file);
        free(a->f[i].what);
    }
    free(a->f);
    a->f = NULL;
    a->n = 0;
}

/* ---- the contract --------------------------------------------------------- */

void audit_strv_free(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

/*
 * Run cc over a file that includes every header of include_dir, with
 * -aux-info: GCC writes each function declaration it saw as
 *   / * PATH:LINE:NC * / extern int name (int, ...);
 * and those whose PATH lies in include_dir are the lab's contract.
 */
char **audit_contract(const char *cc, const char *include_dir, const char *support_dir)
{
    char dir[] = "/tmp/ipclab-contract.XXXXXX";
    const char *tmp = getenv("TMPDIR");
    char tdir[4096];
    snprintf(tdir, sizeof tdir, "%s/ipclab-contract.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    char *made = mkdtemp(tdir);
    if (made == NULL && (made = mkdtemp(dir)) == NULL)
        return NULL;
    char tu[4200], aux[4200], incl[4200], supp[4200];
    snprintf(tu, sizeof tu, "%s/all.c", made);
    snprintf(aux, sizeof aux, "%s/all.aux", made);
    snprintf(incl, sizeof incl, "-I%s", include_dir);
    snprintf(supp, sizeof supp, "-I%s", support_dir);
    char **out = NULL;
    size_t n = 0;
    FILE *f = fopen(tu, "we");
    DIR *dp = opendir(include_dir);
    if (f == NULL || dp == NULL)
        goto done;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 2 && strcmp(e->d_name + len - 2, ".h") == 0)
            fprintf(f, "#include \"%s\"\n", e->d_name);
    }
    if (fclose(f) != 0) {
        f = NULL;
        goto done;
    }
    f = NULL;
    char *argv[] = {(char *)cc,
                    "-std=c11",
                    "-D_GNU_SOURCE",
                    "-fsyntax-only",
                    "-aux-info",
                    aux,
                    incl,
                    supp,
                    tu,
                    NULL};
    pid_t pid;
    int st;
    if (posix_spawnp(&pid, cc, NULL, NULL, argv, environ) != 0 ||
        waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        errno = ENOEXEC;
        goto done;
    }
    char *text = read_text(aux);
    if (text == NULL)
        goto done;
    out = calloc(1, sizeof *out);
    for (char *p = text; out != NULL && p != NULL && *p != '\0';) {
        char *nl = strchr(p, '\n');
        if (nl != NULL)
            *nl = '\0';
        char *close = strstr(p, "*/");
        char *paren = close ? strstr(close, " (") : NULL;
        if (strncmp(p, "/* ", 3) == 0 && close != NULL && paren != NULL &&
            under(p + 3, include_dir)) {
            char *end = paren;
            while (end > close && (isalnum((unsigned char)end[-1]) || end[-1] == '_'))
                end--;
            size_t len = (size_t)(paren - end);
            char **grown = len ? realloc(out, (n + 2) * sizeof *out) : out;
            if (grown == NULL) {
                audit_strv_free(out);
                out = NULL;
                break;
            }
            out = grown;
            if (len && (out[n] = strndup(end, len)) != NULL)
                out[++n] = NULL;
        }
        p = nl ? nl + 1 : NULL;
    }
    free(text);
done:
    if (f != NULL)
        fclose(f);
    if (dp != NULL)
        closedir(dp);
    unlink(tu);
    unlink(aux);
    rmdir(made);
    return out;
}
