/* polish — image resample (being written). */
#include "image/image.h"
