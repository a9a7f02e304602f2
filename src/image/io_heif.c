/* polish — image io_heif (being written). */
#include "image/image.h"
