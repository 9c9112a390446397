/* dlfusion.c — STUB CLI */
#include <stdio.h>
#include "dlfusion.h"
int main(void) { printf("dlfusion %s\n", DLF_VERSION_STRING); return 0; }
