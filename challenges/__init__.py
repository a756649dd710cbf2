"""Challenges: program editions, their dated phases, and the urban challenges posed by the city and partners."""
