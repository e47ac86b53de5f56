# café
x = 'é'; eval(input())
