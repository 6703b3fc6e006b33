#include "config.h"
#include "suites.h"

Suite *
rules_suite(void)
{
	return (suite_create("rules"));
}
