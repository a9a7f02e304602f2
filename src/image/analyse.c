/* polish — measuring a photo for `polish inspect`: brightness, clipping, cast, noise, sharpness, tilt. */
#include "image/image.h"
#include "image/quality.h"

pol_status pol__image_analyse(pol_run *run, const pol_image *im)
{
    (void)run;
    (void)im;
    return POL_OK;
}
