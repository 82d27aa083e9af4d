// SPDX-License-Identifier: MIT
// tests/names/dlopen.t: the library the main program dlopens late.
__attribute__((noinline)) unsigned long hot_in_lib(unsigned long n)
{
	volatile unsigned long x = 0;

	for (unsigned long i = 0; i < n; i++)
		x = x + (i ^ (x >> 3));
	return x;
}
