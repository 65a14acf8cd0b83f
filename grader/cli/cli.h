/* commands.h - the subcommands of `ipclab` and the helpers they share. */
#ifndef IPCLAB_COMMANDS_H
#define IPCLAB_COMMANDS_H

#include <stddef.h>

/* Each subcommand gets argv starting at its own name; returns the exit status. */
int cmd_manifest(int argc, char **argv);
int cmd_grade(int argc, char **argv);
int cmd_grade_all(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_why_hung(int argc, char **argv);
int cmd_status(int argc, char **argv); /* the student's side: cmd_status.c, ... */
int cmd_check(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_hint(int argc, char **argv);
int cmd_grade_student(int argc,
                      char **argv); /* `grade NN` -> grade --lab NN --submission ROOT */
int cmd_submit(int argc, char **argv);
int cmd_reset(int argc, char **argv);
int cmd_solution(int argc, char **argv);

/*
 * course_root - the course checkout this binary belongs to: $IPCLAB_ROOT if
 * set, else the parent of the directory holding the executable (build/..).
 */
const char *course_root(void);

/*
 * resolve_lab - turn "01", "1", "01-pipes" or a path to a lab directory into
 * that lab's directory. Returns 0, or -1 after printing an error.
 */
int resolve_lab(const char *spec, char *out, size_t len);

#endif /* IPCLAB_COMMANDS_H */
