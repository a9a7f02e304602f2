/* polish — image io_png (being written). */
#include "image/image.h"
