/* vgargs.h - the course's valgrind options and the memcheck pass's runner mode. */
#ifndef IPCLAB_VGARGS_H
#define IPCLAB_VGARGS_H

/* The most options labs/support/valgrind.args may hold. */
#define VG_MAX_OPTIONS 32

/*
 * vg_options - the course's memcheck options, written once in
 * labs/support/valgrind.args (one a line starting with --, # comments) for
 * make valgrind, lab-check and this grader: points *opts at them (static
 * storage, read once). Returns their count, or -1 with errno set when the
 * file cannot be read, has too many, or a line that is neither an option nor
 * NAME=value (EINVAL).
 */
int vg_options(char ***opts);

/*
 * vg_environment - the file's NAME=value lines: variables of the
 * environment valgrind runs the tests in. Points *vars at them; returns
 * their count, or -1 with errno set as vg_options.
 */
int vg_environment(char ***vars);

#endif /* IPCLAB_VGARGS_H */
