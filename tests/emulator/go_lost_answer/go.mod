module drkit/lostanswer

go 1.19
