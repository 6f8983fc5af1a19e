import { localBusFactory, rabbitBusFactory } from '../helpers/adapters'
import { hasRabbit } from '../helpers/services'
import { busContract } from './bus.contract'

busContract('embedded queue', () => localBusFactory({ pollMs: 20 }))
if (hasRabbit) busContract('RabbitMQ', () => rabbitBusFactory())
