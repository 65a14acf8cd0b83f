/* cmd_mygrade.c - `ipclab grade NN`: the instructor's grader, run on this checkout. */
#include "cli/cli.h"
#include "engine/course.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * cmd_grade_student - `ipclab grade NN [opts]` becomes `ipclab grade --lab NN
 * --submission ROOT [opts]`; any other form goes to cmd_grade unchanged.
 */
int cmd_grade_student(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        fprintf(stdout,
                "usage: ipclab grade NN [options]     (a student: grade this checkout)\n"
                "       ipclab grade --lab NN --submission DIR [options]\n\n"
                "`ipclab grade NN` is exactly `ipclab grade --lab NN --submission "
                "ROOT`:\nthe instructor's grader (sandbox, valgrind, deductions, why "
                "it hung)\nrun on your own checkout, so the grade holds no "
                "surprises.\n\n");
        return cmd_grade(argc, argv);
    }
    if (argc < 2 || argv[1][0] == '-')
        return cmd_grade(argc, argv);
    /* grade NN [opts...] -> grade --lab NN --submission ROOT [opts...] */
    char **nargv = calloc((size_t)argc + 4, sizeof *nargv);
    if (nargv == NULL)
        return 2;
    int k = 0;
    nargv[k++] = argv[0];
    nargv[k++] = "--lab";
    nargv[k++] = argv[1];
    nargv[k++] = "--submission";
    nargv[k++] = (char *)course_root();
    for (int i = 2; i < argc; i++)
        nargv[k++] = argv[i];
    nargv[k] = NULL;
    int rc = cmd_grade(k, nargv);
    free(nargv);
    return rc;
}
