/* audit_object.c - the audit's look into the student's objects: sections, definitions,
 * calls. */
#include "engine/audit_object.h"
#include "base/fs.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

int audit_add(struct audit *a, bool refused, const char *file, int line, const char *fmt,
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

#define MAX_TEXT (16L << 20) /* bytes read from one .s file, at most */

int audit_line_of(const char *spath, const char *func)
{
    if (func == NULL)
        return 0;
    char *text = fs_read_text(spath, MAX_TEXT);
    if (text == NULL)
        return 0;
    size_t n = strlen(func);
    int line = 0;
    for (const char *p = text; p != NULL && *p != '\0';) {
        if (strncmp(p, func, n) == 0 && p[n] == ':' &&
            (p[n + 1] == '\n' || p[n + 1] == '\0')) {
            /* The function's first line record in file 1, the compiled file. */
            const char *loc = strstr(p, "\t.loc 1 ");
            if (loc != NULL)
                line = atoi(loc + 8);
            break;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    free(text);
    return line;
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
int audit_object_names(const char *path, struct strset *defs, struct strset *refs)
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
        struct strset *to = s.st_shndx == SHN_UNDEF ? refs : defs;
        if (to != NULL)
            rc = strset_add(to, name, strlen(name));
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

/*
 * The function section idx points at (a constructor table's, a hook's
 * entry): the symbol of its first relocation, or the function at a section
 * symbol's offset. NULL when it has none.
 */
static const char *section_target(struct object *o, Elf_Data *symd,
                                  const GElf_Shdr *symsh, size_t idx)
{
    for (Elf_Scn *s = elf_nextscn(o->elf, NULL); s != NULL; s = elf_nextscn(o->elf, s)) {
        GElf_Shdr rsh;
        if (gelf_getshdr(s, &rsh) == NULL || rsh.sh_type != SHT_RELA ||
            rsh.sh_info != idx)
            continue;
        Elf_Data *rd = elf_getdata(s, NULL);
        GElf_Rela r;
        GElf_Sym sym;
        if (rd == NULL || symd == NULL || gelf_getrela(rd, 0, &r) == NULL ||
            gelf_getsym(symd, (int)GELF_R_SYM(r.r_info), &sym) == NULL)
            return NULL;
        if (GELF_ST_TYPE(sym.st_info) == STT_SECTION)
            return function_at(o, symd, symsh, sym.st_shndx, (GElf_Addr)r.r_addend);
        return elf_strptr(o->elf, symsh->sh_link, sym.st_name);
    }
    return NULL;
}

/* The rules one audit applies, loaded once. */
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
int audit_object_check(const char *file, const char *opath, const char *spath,
                       struct audit_rules *r, struct audit *a)
{
    struct object o;
    if (object_open(&o, opath) < 0)
        return audit_add(a, true, file, 0,
                         "the compiled object of %s is missing or not an object", file);
    int rc = 0;
    GElf_Shdr symsh;
    Elf_Scn *symscn = symtab_of(&o, &symsh);
    Elf_Data *symd = symscn ? elf_getdata(symscn, NULL) : NULL;
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
        if (reloc || (!bad_type && ordinary_section(name)))
            continue;
        const char *fn = section_target(&o, symd, &symsh, elf_ndxscn(s));
        if (fn != NULL)
            rc = audit_add(a, true, file, audit_line_of(spath, fn),
                           "%s() is registered in section '%s': %s, not allowed", fn,
                           name, section_meaning(name, sh.sh_type));
        else
            rc = audit_add(a, true, file, 0, "%s has a section '%s': %s, not allowed",
                           file, name, section_meaning(name, sh.sh_type));
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
            rc = audit_add(
                a, true, file, 0,
                "%s defines '%s' as an ifunc: its resolver would run when the tests "
                "load, not allowed",
                file, name);
            continue;
        }
        if (!binds_out(&s) || name[0] == '\0')
            continue;
        if (s.st_shndx != SHN_UNDEF) {
            if (strset_has(&r->contract, name))
                continue;
            int line = audit_line_of(spath, name);
            if (reserved(name) || strset_has(&r->harness, name) ||
                strset_has(&r->libc, name) || strset_has(&r->allowed, name))
                rc = audit_add(
                    a, true, file, line,
                    "%s defines '%s', a name the C library or the test harness "
                    "already has: it would replace theirs in the tests too. Rename it "
                    "or make it static",
                    file, name);
            else if (GELF_ST_TYPE(s.st_info) == STT_FUNC)
                rc = audit_add(
                    a, false, file, line,
                    "%s defines the global function '%s', which is not in the lab's "
                    "header: make it static",
                    file, name);
            continue;
        }
        if (strset_has(&r->contract, name) || strset_has(&r->student, name) ||
            strset_has(&r->allowed, name))
            continue;
        const char *by = caller_of(&o, d, &sh, i);
        int line = by ? audit_line_of(spath, by) : 0;
        char where[160] = "";
        if (by != NULL)
            snprintf(where, sizeof where, " in %s()", by);
        if (strset_has(&r->forbidden, name))
            rc = audit_add(a, true, file, line,
                           "%s calls '%s'%s, which this lab forbids (lab.ini: forbid)",
                           file, name, where);
        else
            rc = audit_add(
                a, true, file, line,
                "%s uses '%s'%s, which is not among the calls a submission may make "
                "(labs/allowed-calls.txt)",
                file, name, where);
    }
    object_close(&o);
    return rc;
}

/* The C library's exported names, from its dynamic symbol table. */
int audit_object_libc(struct strset *libc)
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
                rc = strset_add(libc, name, strlen(name));
        }
    }
    if (e != NULL)
        elf_end(e);
    close(fd);
    return rc;
}

/* Every *.o in dir: add the names they define and use to both sets. */
int audit_object_dir_names(const char *dir, struct strset *defs, struct strset *refs)
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
        rc = audit_object_names(path, defs, refs);
    }
    closedir(dp);
    return rc;
}
