#include "config.h"
#include "suites.h"

Suite *
manifest_suite(void)
{
	return (suite_create("manifest"));
}
