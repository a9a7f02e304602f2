/* polish — image io_jpeg (being written). */
#include "image/image.h"
