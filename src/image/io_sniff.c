/* polish — image io_sniff (being written). */
#include "image/image.h"
