/* The do-nothing child of the spawn rows.  Linked -static so that exec maps one file and runs
 * no dynamic loader: what is left to measure is mostly the spawn and the wait themselves. */
int main(void)
{
        return 0;
}
