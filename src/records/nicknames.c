/* polish — nickname table: common English (US/UK/AU) and Spanish given-name nicknames mapped
 * to one canonical name, so Bob matches Robert. Written for polish; sorted for binary search. */
#include <string.h>
#include "records/compare.h"

typedef struct nick {
    const char *nick, *canon;
} nick;

static const nick nicks[] = {
    {"abby", "abigail"}, {"abe", "abraham"}, {"al", "albert"}, {"alec", "alexander"},
    {"alex", "alexander"}, {"alexa", "alexandra"}, {"allie", "allison"}, {"andy", "andrew"},
    {"ann", "anne"}, {"annie", "anne"}, {"archie", "archibald"}, {"art", "arthur"},
    {"augie", "august"}, {"austin", "augustine"}, {"babs", "barbara"}, {"barb", "barbara"},
    {"barbie", "barbara"}, {"bart", "bartholomew"}, {"bea", "beatrice"}, {"bec", "rebecca"},
    {"becca", "rebecca"}, {"becky", "rebecca"}, {"bella", "isabella"}, {"ben", "benjamin"},
    {"benji", "benjamin"}, {"benny", "benjamin"}, {"bernie", "bernard"}, {"bert", "herbert"},
    {"bess", "elizabeth"}, {"beth", "elizabeth"}, {"beto", "roberto"}, {"betsy", "elizabeth"},
    {"betty", "elizabeth"}, {"bill", "william"}, {"billy", "william"}, {"bo", "robert"},
    {"bob", "robert"}, {"bobby", "robert"}, {"brad", "bradley"}, {"cal", "calvin"},
    {"carl", "charles"}, {"caro", "caroline"}, {"carrie", "caroline"}, {"cassie", "cassandra"},
    {"cathy", "catherine"}, {"charlie", "charles"}, {"chas", "charles"}, {"chema", "jose"},
    {"chet", "chester"}, {"chris", "christopher"}, {"chrissy", "christine"}, {"chucho", "jesus"},
    {"chuck", "charles"}, {"cindy", "cynthia"}, {"cliff", "clifford"}, {"concha", "concepcion"},
    {"connie", "constance"}, {"cy", "cyrus"}, {"dan", "daniel"}, {"danny", "daniel"},
    {"dave", "david"}, {"davy", "david"}, {"deb", "deborah"}, {"debbie", "deborah"},
    {"debby", "deborah"}, {"dee", "deirdre"}, {"del", "delbert"}, {"dell", "adele"},
    {"dick", "richard"}, {"dima", "dmitri"}, {"dolly", "dorothy"}, {"don", "donald"},
    {"donnie", "donald"}, {"dot", "dorothy"}, {"dottie", "dorothy"}, {"doug", "douglas"},
    {"drew", "andrew"}, {"ed", "edward"}, {"eddie", "edward"}, {"eliza", "elizabeth"},
    {"elle", "eleanor"}, {"ellie", "eleanor"}, {"em", "emma"}, {"emmy", "emily"}, {"fay", "faith"},
    {"flo", "florence"}, {"fran", "frances"}, {"frank", "francis"}, {"frankie", "francis"},
    {"frannie", "frances"}, {"fred", "frederick"}, {"freddie", "frederick"},
    {"freddy", "frederick"}, {"fritz", "frederick"}, {"gabe", "gabriel"}, {"gene", "eugene"},
    {"geoff", "geoffrey"}, {"gerry", "gerald"}, {"gil", "gilbert"}, {"gill", "gillian"},
    {"greg", "gregory"}, {"greta", "margaret"}, {"gus", "augustus"}, {"gwen", "gwendolyn"},
    {"hal", "harold"}, {"hank", "henry"}, {"harry", "henry"}, {"hattie", "harriet"},
    {"hy", "hyman"}, {"ike", "isaac"}, {"issy", "isabel"}, {"izzy", "isabel"}, {"jack", "john"},
    {"jake", "jacob"}, {"jamie", "james"}, {"jan", "janet"}, {"jeb", "jebediah"},
    {"jeff", "jeffrey"}, {"jen", "jennifer"}, {"jenn", "jennifer"}, {"jenny", "jennifer"},
    {"jerry", "gerald"}, {"jess", "jessica"}, {"jessie", "jessica"}, {"jill", "gillian"},
    {"jim", "james"}, {"jimmy", "james"}, {"jo", "josephine"}, {"jodie", "judith"},
    {"joe", "joseph"}, {"joey", "joseph"}, {"johnny", "john"}, {"jon", "jonathan"},
    {"jos", "joseph"}, {"josh", "joshua"}, {"judy", "judith"}, {"julie", "julia"},
    {"kat", "katherine"}, {"kate", "katherine"}, {"kathy", "katherine"}, {"katie", "katherine"},
    {"ken", "kenneth"}, {"kenny", "kenneth"}, {"kim", "kimberly"}, {"kimmy", "kimberly"},
    {"kirsty", "christine"}, {"kit", "christopher"}, {"kitty", "katherine"}, {"kolya", "nikolai"},
    {"kris", "kristopher"}, {"kristy", "kristine"}, {"lalo", "eduardo"}, {"larry", "lawrence"},
    {"laurie", "laura"}, {"len", "leonard"}, {"lena", "helena"}, {"lenny", "leonard"},
    {"lenore", "eleanor"}, {"leo", "leonard"}, {"leslie", "lesley"}, {"lex", "alexander"},
    {"lexi", "alexandra"}, {"liam", "william"}, {"libby", "elizabeth"}, {"lisa", "elizabeth"},
    {"liz", "elizabeth"}, {"liza", "elizabeth"}, {"lizzie", "elizabeth"}, {"lottie", "charlotte"},
    {"lou", "louis"}, {"louie", "louis"}, {"lu", "lucille"}, {"lucy", "lucille"},
    {"lupe", "guadalupe"}, {"lynn", "linda"}, {"mae", "mary"}, {"maggie", "margaret"},
    {"mamie", "mary"}, {"mandy", "amanda"}, {"manny", "emmanuel"}, {"marge", "margaret"},
    {"margie", "margaret"}, {"mart", "martin"}, {"marty", "martin"}, {"matt", "matthew"},
    {"matty", "matthew"}, {"max", "maxwell"}, {"meg", "margaret"}, {"mel", "melissa"},
    {"memo", "guillermo"}, {"mick", "michael"}, {"mickey", "michael"}, {"micky", "michael"},
    {"mike", "michael"}, {"mikey", "michael"}, {"misha", "mikhail"}, {"missy", "melissa"},
    {"mitch", "mitchell"}, {"mo", "maurice"}, {"molly", "mary"}, {"monty", "montgomery"},
    {"morrie", "morris"}, {"myra", "almira"}, {"nacho", "ignacio"}, {"nan", "anne"},
    {"nancy", "anne"}, {"nat", "nathan"}, {"nate", "nathaniel"}, {"nathan", "nathaniel"},
    {"ned", "edward"}, {"nell", "eleanor"}, {"nettie", "henrietta"}, {"nick", "nicholas"},
    {"nicky", "nicholas"}, {"nico", "nicholas"}, {"nora", "eleanor"}, {"norm", "norman"},
    {"ollie", "oliver"}, {"olly", "oliver"}, {"ozzie", "oswald"}, {"ozzy", "oswald"},
    {"paco", "francisco"}, {"paddy", "patrick"}, {"pam", "pamela"}, {"pancho", "francisco"},
    {"pasha", "pavel"}, {"pat", "patrick"}, {"patsy", "patricia"}, {"patty", "patricia"},
    {"peg", "margaret"}, {"peggy", "margaret"}, {"pepe", "jose"}, {"percy", "percival"},
    {"pete", "peter"}, {"phil", "philip"}, {"pili", "pilar"}, {"polly", "mary"},
    {"prue", "prudence"}, {"quin", "quinton"}, {"randy", "randall"}, {"ray", "raymond"},
    {"reg", "reginald"}, {"rex", "reginald"}, {"ric", "eric"}, {"rich", "richard"},
    {"richie", "richard"}, {"rick", "richard"}, {"ricky", "richard"}, {"rik", "eric"},
    {"ritchie", "richard"}, {"rob", "robert"}, {"robbie", "robert"}, {"rod", "rodney"},
    {"roddy", "roderick"}, {"ron", "ronald"}, {"ronnie", "ronald"}, {"ros", "rosalind"},
    {"rose", "rosemary"}, {"rosie", "rosemary"}, {"rudy", "rudolph"}, {"russ", "russell"},
    {"sadie", "sarah"}, {"sal", "salvatore"}, {"sally", "sarah"}, {"sam", "samuel"},
    {"sammy", "samuel"}, {"sandy", "alexandra"}, {"sasha", "alexander"}, {"shelley", "michelle"},
    {"shelly", "michelle"}, {"shura", "alexander"}, {"si", "simon"}, {"sid", "sidney"},
    {"stan", "stanley"}, {"steph", "stephanie"}, {"steve", "stephen"}, {"stevie", "stephen"},
    {"stu", "stuart"}, {"sue", "susan"}, {"susie", "susan"}, {"suzy", "susan"}, {"syd", "sydney"},
    {"ted", "edward"}, {"teddy", "theodore"}, {"terri", "teresa"}, {"terry", "terence"},
    {"tess", "teresa"}, {"theo", "theodore"}, {"tillie", "matilda"}, {"tilly", "matilda"},
    {"tim", "timothy"}, {"timmy", "timothy"}, {"tina", "christina"}, {"tom", "thomas"},
    {"tommy", "thomas"}, {"toni", "antoinette"}, {"tony", "anthony"}, {"tricia", "patricia"},
    {"trish", "patricia"}, {"trixie", "beatrice"}, {"trudy", "gertrude"}, {"val", "valerie"},
    {"vanya", "ivan"}, {"vern", "vernon"}, {"vic", "victor"}, {"vicky", "victoria"},
    {"vin", "vincent"}, {"vince", "vincent"}, {"wally", "walter"}, {"walt", "walter"},
    {"wendy", "gwendolyn"}, {"will", "william"}, {"willie", "william"}, {"willy", "william"},
    {"winnie", "winifred"}, {"woody", "woodrow"}, {"xander", "alexander"}, {"zach", "zachary"},
    {"zack", "zachary"},
};

const char *pol__nickname_canonical(const char *name, size_t n)
{
    size_t lo = 0, hi = sizeof nicks / sizeof nicks[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strncmp(nicks[mid].nick, name, n);
        if (c == 0 && nicks[mid].nick[n] != '\0') c = 1;
        if (c == 0) return nicks[mid].canon;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}
