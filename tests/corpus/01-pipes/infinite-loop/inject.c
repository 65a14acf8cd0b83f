/* Spins forever in one test. */
static void corpus_hostile(void)
{
    for (volatile unsigned long i = 0;; i++)
        ;
}
