/* polish — image io_webp (being written). */
#include "image/image.h"
