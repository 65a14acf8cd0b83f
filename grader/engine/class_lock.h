/* class_lock.h - keeps the speed-gated test runs of a class alone on the machine. */
#ifndef IPCLAB_CLASS_LOCK_H
#define IPCLAB_CLASS_LOCK_H

/*
 * `ipclab grade-all` runs several grades side by side. A lab with speed
 * gates (manifest option perf) measures its ratios on every CPU, so while
 * one student's native pass runs, no other work of the class may: that pass
 * takes the class lock alone, every other phase (build, memcheck) shares it.
 * The lock is the file $IPCLAB_CLASS_LOCK (grade-all sets it for its
 * grades); without that variable these functions do nothing, as in a single
 * `ipclab grade`. A second file, PATH.turnstile, lets a waiting "alone"
 * request go ahead of "shared" ones that arrive after it, so it cannot
 * starve however many grades run at once.
 */
enum class_lock_mode { CLASS_LOCK_SHARED, CLASS_LOCK_ALONE };

/* CLASS_LOCK_ENV - the environment variable naming the class lock file. */
#define CLASS_LOCK_ENV "IPCLAB_CLASS_LOCK"

/*
 * class_lock - wait for the class lock in mode. Returns a handle for
 * class_unlock, or -1 when there is no class lock (or it cannot be opened,
 * or a signal interrupted the wait): the caller then goes on unlocked.
 */
int class_lock(enum class_lock_mode mode);

/* class_unlock - release a handle class_lock returned; -1 is ignored. */
void class_unlock(int handle);

#endif /* IPCLAB_CLASS_LOCK_H */
