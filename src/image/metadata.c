/* polish — image metadata (being written). */
#include "image/image.h"
