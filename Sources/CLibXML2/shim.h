#include <libxml/xmlversion.h>
// Debian builds libxml2 with ICU; its headers would pull the system ICU, which clashes with the ICU
// copy inside Foundation (UErrorCode defined twice). Weir never touches the ICU converter fields.
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>
