/* text.h - text the grader passes on from untrusted programs. */
#ifndef IPCLAB_TEXT_H
#define IPCLAB_TEXT_H

/*
 * text_clean - a malloc'd copy of s that is valid UTF-8 and XML-safe: each
 * byte of an invalid sequence and each control character other than tab and
 * newline becomes '?'. Compiler output and test output are not trusted to
 * be either, and jansson and libxml2 refuse them otherwise. NULL -> NULL.
 */
char *text_clean(const char *s);

/*
 * text_visible - a malloc'd copy of s fit for a terminal: every control
 * character but tab and newline (ESC, CR, backspace, DEL, the C1 controls)
 * and every byte of an invalid UTF-8 sequence is written as the four
 * characters \xNN, so text a submission influenced can neither move the
 * cursor nor forge a line. NULL -> NULL.
 */
char *text_visible(const char *s);

#endif /* IPCLAB_TEXT_H */
