#include "config.h"
#include "suites.h"

Suite *
diag_suite(void)
{
	return (suite_create("diag"));
}
