/* polish — image io_tiff (being written). */
#include "image/image.h"
