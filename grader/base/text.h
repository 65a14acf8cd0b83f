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

#endif /* IPCLAB_TEXT_H */
